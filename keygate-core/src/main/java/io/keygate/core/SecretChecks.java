package io.keygate.core;

import io.keygate.core.audit.AuditKeys;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.notify.DataCipher;
import io.keygate.core.store.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiPredicate;

/**
 * Makes sure every node sharing a database holds the same secrets (pepper, data key, audit key):
 * for each secret version the database records a check value, made by the first node that used the
 * version, that identifies the version without revealing it (an HMAC of a fixed label, or for the
 * data key a fixed text sealed under it). A node whose version does not match, or that lacks a
 * newer version another node already uses, is refused with {@link KeygateException.SecretMismatch}
 * at startup or on a reload, instead of answering {@code invalid_key} or 500 later for what another
 * node wrote.
 *
 * <p><b>Security guarantees.</b> A check value alone confirms no key and opens nothing: the
 * pepper's and audit key's are HMACs of labels no key format can take; the data key's is an AES-GCM
 * sealed constant. Comparisons are constant-time. Thread-safe: stateless.
 */
public final class SecretChecks {
  /** The pepper's name in the store's record. */
  public static final String PEPPER = "pepper";

  /** The data key's name in the store's record. */
  public static final String DATA_KEY = "data_key";

  private SecretChecks() {}

  /**
   * One secret as this node holds it.
   *
   * @param name its name in the store's record ({@link #PEPPER}, {@link #DATA_KEY}, {@link
   *     AuditKeys#SECRET})
   * @param label how messages call it ({@code "pepper"})
   * @param versions the versions held, ascending
   * @param checkValue the check value of the current (highest) version
   * @param matches whether a recorded check value of a version matches this node's version
   */
  public record Held(
      String name,
      String label,
      List<Integer> versions,
      String checkValue,
      BiPredicate<Integer, String> matches) {
    /** Validates. */
    public Held {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(label, "label");
      versions = List.copyOf(versions);
      if (versions.isEmpty()) {
        throw new IllegalArgumentException("no " + label + " version held");
      }
    }

    int current() {
      return versions.get(versions.size() - 1);
    }
  }

  /** The pepper versions of {@code hasher}. */
  public static Held pepper(KeyHasher hasher) {
    return new Held(
        PEPPER,
        "pepper",
        hasher.versions(),
        hasher.checkValue(hasher.currentVersion()),
        (v, recorded) -> KeyHasher.constantTimeEquals(hasher.checkValue(v), recorded));
  }

  /** The data key versions of {@code cipher}. */
  public static Held dataKey(DataCipher cipher) {
    return new Held(
        DATA_KEY, "data key", cipher.versions(), cipher.checkValue(), cipher::opensCheck);
  }

  /** The audit key versions of {@code keys}. */
  public static Held auditKey(AuditKeys keys) {
    return new Held(
        AuditKeys.SECRET,
        "audit key",
        keys.versions(),
        keys.checkValue(keys.currentVersion()),
        (v, recorded) -> KeyHasher.constantTimeEquals(keys.checkValue(v), recorded));
  }

  /**
   * Checks {@code held} against the values {@code store} records, then records the current
   * version's value if none is recorded yet.
   *
   * @param source where this node's secret comes from, for the message (e.g. {@code file
   *     /var/lib/keygate/pepper} or {@code KEYGATE_PEPPER})
   * @param remedy what the operator should do, appended to the message
   * @throws KeygateException.SecretMismatch a held version differs from the recorded one, or the
   *     database records a version newer than this node's newest
   */
  public static void require(KeyStore store, Held held, String source, String remedy) {
    Map<Integer, String> recorded = store.secretChecks(held.name());
    int newest = recorded.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
    if (newest > held.current()) {
      throw new KeygateException.SecretMismatch(
          held.label()
              + " v"
              + newest
              + " is already in use by another node (its check value is recorded in the"
              + " database), but this node's newest "
              + held.label()
              + " is v"
              + held.current()
              + " ("
              + source
              + "): every node must hold every "
              + held.label()
              + " version. "
              + remedy);
    }
    for (int v : held.versions()) {
      String r = recorded.get(v);
      if (r != null && !held.matches().test(v, r)) {
        throw mismatch(held, v, source, remedy);
      }
    }
    if (!recorded.containsKey(held.current())) {
      String r = store.recordSecretCheck(held.name(), held.current(), held.checkValue());
      if (!held.matches().test(held.current(), r)) {
        throw mismatch(held, held.current(), source, remedy); // another node recorded its own first
      }
    }
  }

  private static KeygateException.SecretMismatch mismatch(
      Held held, int v, String source, String remedy) {
    return new KeygateException.SecretMismatch(
        held.label()
            + " v"
            + v
            + " of this node ("
            + source
            + ") is not the "
            + held.label()
            + " v"
            + v
            + " this database was written with: every node must use the same "
            + held.label()
            + ". "
            + remedy);
  }
}
