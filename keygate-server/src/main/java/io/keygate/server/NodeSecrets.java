package io.keygate.server;

import io.keygate.core.KeygateException;
import io.keygate.core.SecretChecks;
import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.notify.DataCipher;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.notify.StoredOwner;
import io.keygate.core.store.KeyStore;
import io.keygate.server.config.AuditKeyFile;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.notify.Owners;
import io.keygate.store.jdbc.JdbcExtensions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The secrets every node on one database must share — the pepper, the data key and the audit key —
 * and the check that a node really holds the ones the database was written with, before it serves
 * anything (and again when it reloads a rotated file).
 *
 * <p>A node that fails the check does not start: a different pepper would answer {@code
 * invalid_key} for every key another node made, a different data key could not open what another
 * node sealed, a different audit key would refuse every change (its head would not verify). The
 * messages name the secret, where this node took it from and what to do (see docs/deploy.md,
 * "Secrets on several nodes").
 *
 * <p>Thread-safe: stateless.
 */
public final class NodeSecrets {
  private NodeSecrets() {}

  /**
   * Where this node's secrets come from, for messages.
   *
   * @param pepper e.g. {@code KEYGATE_PEPPER} or {@code file /data/pepper}
   * @param dataKey likewise for the data key
   * @param auditKey likewise for the audit key
   */
  public record Sources(String pepper, String dataKey, String auditKey) {
    /** The sources a configuration names. */
    public static Sources of(ServerConfig config, NotifyConfig notify, SecretsConfig secrets) {
      return new Sources(
          config.pepperEnv() != null
              ? "KEYGATE_PEPPER"
              : "file " + config.effectivePepperFile().toAbsolutePath(),
          notify.dataKeyEnv() != null
              ? "KEYGATE_DATA_KEY"
              : "file " + notify.effectiveDataKeyFile(config.dataDir()).toAbsolutePath(),
          secrets.auditKeyEnv() != null
              ? "KEYGATE_AUDIT_KEY"
              : "file " + secrets.effectiveAuditKeyFile(config.dataDir()).toAbsolutePath());
    }
  }

  /** What to do about a pepper that differs from the other nodes'. */
  public static final String PEPPER_REMEDY =
      "Give this node the pepper the other nodes use: the same KEYGATE_PEPPER, or a copy of their"
          + " pepper file (KEYGATE_PEPPER_FILE); never let a joining node generate its own."
          + " See docs/deploy.md, \"Secrets on several nodes\".";

  /** What to do about a data key that differs from the other nodes'. */
  public static final String DATA_KEY_REMEDY =
      "Give this node the data key the other nodes use: the same KEYGATE_DATA_KEY, or a copy of"
          + " their data-key file (KEYGATE_DATA_KEY_FILE). See docs/deploy.md, \"Secrets on"
          + " several nodes\".";

  /** What to do about an audit key that differs from the other nodes'. */
  public static final String AUDIT_KEY_REMEDY =
      "Give this node the audit key the other nodes use: the same KEYGATE_AUDIT_KEY, or a copy of"
          + " their audit-key file (KEYGATE_AUDIT_KEY_FILE). See docs/deploy.md, \"Secrets on"
          + " several nodes\".";

  /** Owner rows sampled at startup to prove the data key opens what other nodes sealed. */
  static final int OWNER_SAMPLE = 100;

  /**
   * Opens a sample of stored owner channels: for every data key version this node holds that sealed
   * some of them, at least one must open. This catches a wrong data key even on a database that has
   * no check value recorded yet (the first start after an upgrade). A version with some rows that
   * open and some that do not is a tampered row, not a wrong key, and does not stop the node
   * (delivery to that owner fails and says so).
   */
  static void requireOpensSealedOwners(NotifyStore owners, DataCipher cipher, String source) {
    Map<Integer, Boolean> opened = new TreeMap<>();
    for (StoredOwner o : owners.owners(null, OWNER_SAMPLE)) {
      int v = DataCipher.versionOf(o.sealedChannels());
      if (!cipher.versions().contains(v)) {
        continue;
      }
      boolean ok;
      try {
        cipher.open(o.sealedChannels(), Owners.context(o.ownerId()));
        ok = true;
      } catch (IllegalStateException e) {
        ok = false;
      }
      opened.merge(v, ok, Boolean::logicalOr);
    }
    opened.forEach(
        (v, ok) -> {
          if (!ok) {
            throw new KeygateException.SecretMismatch(
                "data key v"
                    + v
                    + " of this node ("
                    + source
                    + ") opens none of the owner channels sealed under v"
                    + v
                    + " in this database: it is not the data key the other nodes use. "
                    + DATA_KEY_REMEDY);
          }
        });
  }

  /** The audit keys a configuration names; the file is generated when absent if {@code create}. */
  public static AuditKeys auditKeys(ServerConfig config, SecretsConfig secrets, boolean create) {
    return new AuditKeys(AuditKeyFile.load(secrets, config.dataDir(), create));
  }

  /** This node's audit witness, {@code <data dir>/audit-head}. */
  public static AuditWitness witness(ServerConfig config) {
    return new AuditWitness(SecretsConfig.witnessFile(config.dataDir()));
  }

  /**
   * Checks this node's secrets against {@code store}, seals the audit head if no node sealed it
   * yet, and moves the witness up to the head.
   *
   * @param cipher the data key, or {@code null} when this node has none (no owners)
   * @throws KeygateException.SecretMismatch a secret differs from the one the database was written
   *     with, or is older than one another node uses
   * @throws KeygateException.AuditIntegrity the audit head does not verify (altered, or this node's
   *     audit key is wrong although its check value matches), was unsealed, or contradicts this
   *     node's witness
   */
  public static void check(
      KeyStore store,
      KeyHasher hasher,
      DataCipher cipher,
      AuditKeys auditKeys,
      AuditWitness witness,
      Sources sources) {
    SecretChecks.require(store, SecretChecks.pepper(hasher), sources.pepper(), PEPPER_REMEDY);
    if (cipher != null) {
      JdbcExtensions.notifyStore(store)
          .ifPresent(owners -> requireOpensSealedOwners(owners, cipher, sources.dataKey()));
      SecretChecks.require(store, SecretChecks.dataKey(cipher), sources.dataKey(), DATA_KEY_REMEDY);
    }
    AuditHead head = store.sealAuditHead();
    SecretChecks.require(
        store, SecretChecks.auditKey(auditKeys), sources.auditKey(), AUDIT_KEY_REMEDY);
    String problem = AuditChain.headProblem(auditKeys, head);
    if (problem != null) {
      throw new KeygateException.AuditIntegrity(
          "audit_head_invalid",
          problem
              + " (this node's audit key: "
              + sources.auditKey()
              + "). Run keygate audit verify to see what changed; once you know, keygate audit"
              + " reseal records what was found and lets nodes start.");
    }
    List<String> contradictions = witness.problems(store);
    if (!contradictions.isEmpty()) {
      throw new KeygateException.AuditIntegrity(
          "audit_witness_mismatch",
          String.join("; ", contradictions)
              + ". Run keygate audit verify; if you restored the database from a backup on"
              + " purpose, keygate audit reseal accepts it as it is.");
    }
    witness.advance(head);
  }
}
