package io.keygate.core.key;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 of keys under a versioned pepper (Tink keyset style: mint with the current version,
 * verify with every known one).
 *
 * <p><b>Security guarantees.</b> The stored value is {@code hex(HMAC-SHA256(pepper_v, key))}; a
 * database dump alone cannot confirm a guessed key. {@code Mac} instances are per thread and per
 * version (no per-request allocation of digests). Thread-safe.
 */
public final class KeyHasher {
  private static final HexFormat HEX = HexFormat.of();

  private final Map<Integer, ThreadLocal<Mac>> macs;
  private final int current;
  private final List<Integer> olderNewestFirst;

  /** A hasher over these pepper versions; the highest version is current. */
  public KeyHasher(Collection<Pepper> peppers) {
    if (peppers.isEmpty()) {
      throw new IllegalArgumentException("at least one pepper version is required");
    }
    TreeMap<Integer, Pepper> sorted =
        peppers.stream()
            .collect(
                Collectors.toMap(
                    Pepper::version,
                    Function.identity(),
                    (a, b) -> {
                      throw new IllegalArgumentException("duplicate pepper v" + a.version());
                    },
                    TreeMap::new));
    this.current = sorted.lastKey();
    this.olderNewestFirst = List.copyOf(sorted.headMap(current, false).descendingKeySet());
    this.macs =
        sorted.values().stream()
            .collect(
                Collectors.toUnmodifiableMap(
                    Pepper::version, p -> ThreadLocal.withInitial(() -> newMac(p))));
  }

  private static Mac newMac(Pepper p) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(p.secret(), "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** The current (minting) pepper version. */
  public int currentVersion() {
    return current;
  }

  /** Older versions, newest first, tried after the current one during verification. */
  public List<Integer> olderVersions() {
    return olderNewestFirst;
  }

  /** Lower-case hex HMAC of {@code key} under pepper {@code version}. */
  public String hash(int version, String key) {
    ThreadLocal<Mac> mac = macs.get(version);
    if (mac == null) {
      throw new IllegalArgumentException("unknown pepper version " + version);
    }
    return HEX.formatHex(mac.get().doFinal(key.getBytes(StandardCharsets.US_ASCII)));
  }

  /** Hash under the current version. */
  public String hash(String key) {
    return hash(current, key);
  }

  /** Plain SHA-256 hex of a key, the form in-house systems store (for hash-only imports). */
  public static String sha256Hex(String key) {
    try {
      return HEX.formatHex(
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** Constant-time comparison of two hex/ASCII strings. */
  public static boolean constantTimeEquals(String a, String b) {
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
  }
}
