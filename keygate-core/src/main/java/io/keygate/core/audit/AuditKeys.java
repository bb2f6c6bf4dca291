package io.keygate.core.audit;

import io.keygate.core.secret.KeyRing;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The audit key versions a node holds (Tink keyset style: the highest version links new events,
 * every version verifies), reloadable while the node runs.
 *
 * <p>Design note: the versions are a {@link KeyRing}, so a caller reading {@link #currentVersion()}
 * and then MACing under it may race with a reload only towards a newer ring that still holds that
 * version (a reload never drops the current one).
 *
 * <p><b>Security guarantees.</b> The key material never leaves this class: callers get MACs and a
 * {@link #checkValue keyed check value}, never the bytes. A reload never lowers the current
 * version, so the chain's key versions never go down. Thread-safe.
 */
public final class AuditKeys {
  /** The audit key's name in the store's record of secret check values. */
  public static final String SECRET = "audit_key";

  private static final HexFormat HEX = HexFormat.of();

  private final KeyRing<AuditKey> keys;

  /** Audit keys of these versions; the highest is current. */
  public AuditKeys(Collection<AuditKey> versions) {
    this.keys = new KeyRing<>("audit key", "newest", versions);
  }

  /**
   * Replaces the versions (after {@code keygate rotate-audit-key} added one).
   *
   * @throws IllegalArgumentException no version, or a version given twice
   * @throws IllegalStateException the current version would go down; nothing is changed
   * @return whether the set of versions changed
   */
  public boolean reload(Collection<AuditKey> versions) {
    return keys.reload(versions);
  }

  /** The version that links new events. */
  public int currentVersion() {
    return keys.currentVersion();
  }

  /** Every version held, ascending. */
  public List<Integer> versions() {
    return keys.versions();
  }

  /** Whether version {@code version} is held. */
  public boolean has(int version) {
    return keys.get(version) != null;
  }

  /**
   * Hex HMAC-SHA256 of {@code message} under version {@code version}.
   *
   * @throws IllegalArgumentException the version is not held
   */
  String mac(int version, String message) {
    AuditKey k = keys.get(version);
    if (k == null) {
      throw new IllegalArgumentException("audit key v" + version + " is not held");
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(k.secret(), "HmacSHA256"));
      return HEX.formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /**
   * A value that identifies version {@code version} of the audit key without revealing it (HMAC of
   * a fixed label), recorded in the database so that a node holding a different key under the same
   * version is refused at startup.
   */
  public String checkValue(int version) {
    return mac(version, "keygate secret check\naudit key\nv" + version);
  }

  @Override
  public String toString() {
    return "AuditKeys[versions=" + keys + "]";
  }
}
