package io.keygate.server.cli;

import io.keygate.core.SecretChecks;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditVerifier;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.store.KeyStore;
import io.keygate.server.KeygateServer;
import io.keygate.server.NodeSecrets;
import io.keygate.server.config.ClusterConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keygate audit verify}: checks the audit log end to end; {@code keygate audit reseal}:
 * records an operator's acknowledgement of a head that does not verify.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Audit log tools.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Reseal.class})
final class AuditCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The audit keys the configuration names, never generated here ({@code null} when none). */
  private static AuditKeys existingKeys(ServerConfig cfg, SecretsConfig secrets, PrintWriter err) {
    try {
      return NodeSecrets.auditKeys(cfg, secrets, false);
    } catch (IllegalStateException e) {
      err.println("note: " + e.getMessage());
      return null;
    }
  }

  private static KeyStore open(ServerConfig cfg, AuditKeys keys) {
    return KeygateServer.openStore(cfg, ClusterConfig.defaults(), keys, NodeSecrets.witness(cfg));
  }

  /** Prints a report; returns the exit code (0 intact, 1 problems). */
  private static int print(AuditVerifier.Report r, PrintWriter out, PrintWriter err) {
    r.notes().forEach(n -> out.println("note: " + n));
    if (!r.intact()) {
      err.println("audit chain BROKEN: " + r.problems().size() + " problem(s) found");
      r.problems().forEach(p -> err.println("  - " + p));
      return 1;
    }
    AuditHead h = r.head();
    out.println(
        "audit chain intact: "
            + r.events()
            + " events verified"
            + (h.sealed()
                ? " (head: event " + h.seq() + ", sealed under audit key v" + h.keyVersion() + ")"
                : " (head not sealed yet)"));
    return 0;
  }

  /** Walks the whole chain; exit 0 when intact, 1 when anything was altered, removed or added. */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Verify the audit log: every event's keyed hash and link, the sealed head (events deleted"
            + " from the end), and this data directory's witness (a head moved back).",
        "Exit 1, naming each problem, if anything was altered, removed, added or re-chained."
      })
  static final class Verify extends InstallationCommand {
    @Override
    int run(Installation in) {
      ServerConfig cfg = in.cfg();
      PrintWriter out = in.out();
      PrintWriter err = in.err();
      AuditKeys keys = existingKeys(cfg, SecretsConfig.fromEnv(in.env()), err);
      AuditWitness witness = NodeSecrets.witness(cfg);
      try (KeyStore store = open(cfg, keys)) {
        AuditVerifier.Report r = new AuditVerifier(keys, witness).verify(store);
        int code = print(r, out, err);
        if (code == 0 && Files.isDirectory(witness.file().getParent())) {
          witness.advance(r.head()); // what this directory has seen verified
        }
        return code;
      }
    }
  }

  /** Accepts the log as it is after an operator looked at what {@code verify} found. */
  @Command(
      name = "reseal",
      mixinStandardHelpOptions = true,
      description = {
        "Accept the audit log as it is: move the head to the newest stored event, seal it under"
            + " the current audit key, reset this data directory's witness, and record an"
            + " audit.resealed event with what was found.",
        "Use after keygate audit verify named a head problem you have investigated (for example"
            + " after restoring a backup on purpose). Events are not changed: an alteration"
            + " inside the log stays visible to verify."
      })
  static final class Reseal extends InstallationCommand {
    @Option(
        names = "--reason",
        required = true,
        description = "Why, for the audit.resealed event (e.g. the incident number).")
    String reason;

    @Override
    int run(Installation in) {
      ServerConfig cfg = in.cfg();
      PrintWriter out = in.out();
      PrintWriter err = in.err();
      SecretsConfig secrets = SecretsConfig.fromEnv(in.env());
      AuditKeys keys = NodeSecrets.auditKeys(cfg, secrets, false);
      try (KeyStore store = open(cfg, keys)) {
        // Never reseal under a key the database was not written with: that would lock every
        // other node out instead of recording what was found.
        SecretChecks.require(
            store,
            SecretChecks.auditKey(keys),
            NodeSecrets.Sources.of(cfg, NotifyConfig.fromEnv(in.env()), secrets).auditKey(),
            NodeSecrets.AUDIT_KEY_REMEDY);
        out.println("before resealing:");
        print(new AuditVerifier(keys, NodeSecrets.witness(cfg)).verify(store), out, err);
        String user = System.getProperty("user.name", "unknown");
        AuditHead h =
            store.resealAuditHead(
                new AuditEntry(
                    Instant.now(),
                    "cli:" + user,
                    "audit.resealed",
                    null,
                    null,
                    null,
                    Map.of("reason", reason)));
        out.println(
            "audit head resealed at event "
                + h.seq()
                + " (audit.resealed) under audit key v"
                + h.keyVersion()
                + "; problems inside the log stay visible to keygate audit verify");
        return 0;
      }
    }
  }
}
