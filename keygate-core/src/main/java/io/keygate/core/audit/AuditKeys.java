package io.keygate.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The audit key versions a node holds (Tink keyset style: the highest version links new events,
 * every version verifies), reloadable while the node runs.
 *
 * <p>Design note: the versions are one immutable map behind a volatile field; {@link #reload} swaps
 * it, so a caller reading {@link #currentVersion()} and then MACing under it may race with a reload
 * only towards a newer map that still holds that version (a reload never drops the current one).
 *
 * <p><b>Security guarantees.</b> The key material never leaves this class: callers get MACs and a
 * {@link #checkValue keyed check value}, never the bytes. A reload never lowers the current
 * version, so the chain's key versions never go down. Thread-safe.
 */
public final class AuditKeys {
  /** The audit key's name in the store's record of secret check values. */
  public static final String SECRET = "audit_key";

  private static final HexFormat HEX = HexFormat.of();

  private volatile NavigableMap<Integer, AuditKey> keys;

  /** Audit keys of these versions; the highest is current. */
  public AuditKeys(Collection<AuditKey> versions) {
    this.keys = byVersion(versions);
  }

  private static NavigableMap<Integer, AuditKey> byVersion(Collection<AuditKey> versions) {
    TreeMap<Integer, AuditKey> m = new TreeMap<>();
    for (AuditKey k : versions) {
      if (m.put(k.version(), k) != null) {
        throw new IllegalArgumentException("audit key v" + k.version() + " given twice");
      }
    }
    if (m.isEmpty()) {
      throw new IllegalArgumentException("at least one audit key version is required");
    }
    return Collections.unmodifiableNavigableMap(m);
  }

  /**
   * Replaces the versions (after {@code keygate rotate-audit-key} added one).
   *
   * @throws IllegalArgumentException no version, or a version given twice
   * @throws IllegalStateException the current version would go down; nothing is changed
   * @return whether the set of versions changed
   */
  public synchronized boolean reload(Collection<AuditKey> versions) {
    NavigableMap<Integer, AuditKey> next = byVersion(versions);
    NavigableMap<Integer, AuditKey> now = keys;
    if (next.lastKey() < now.lastKey()) {
      throw new IllegalStateException(
          "refusing audit key reload: newest version would go from v"
              + now.lastKey()
              + " back to v"
              + next.lastKey());
    }
    keys = next;
    return !next.keySet().equals(now.keySet());
  }

  /** The version that links new events. */
  public int currentVersion() {
    return keys.lastKey();
  }

  /** Every version held, ascending. */
  public List<Integer> versions() {
    return List.copyOf(keys.keySet());
  }

  /** Whether version {@code version} is held. */
  public boolean has(int version) {
    return keys.containsKey(version);
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
    return "AuditKeys[versions=" + keys.keySet() + "]";
  }
}
