package io.keygate.core.key;

import io.keygate.core.SecretChecks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
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
 * verify with every known one), reloadable while the server runs.
 *
 * <p>Design note: the pepper versions live in one immutable {@code Ring} behind a volatile field;
 * {@link #reload} builds a new ring and swaps the reference, so the hot path pays one volatile read
 * and takes no lock. A caller that needs a hash <em>and</em> the version it was made under uses
 * {@link #current(String)} or {@link #older(String)}, which read one ring, so a reload racing with
 * the call can never pair a hash with the wrong version.
 *
 * <p><b>Security guarantees.</b> The stored value is {@code hex(HMAC-SHA256(pepper_v, key))}; a
 * database dump alone cannot confirm a guessed key. {@code Mac} instances are per thread and per
 * version (no per-request allocation of digests). A reload never lowers the current version, so a
 * key minted under the newest pepper keeps verifying. Thread-safe.
 */
public final class KeyHasher {
  private static final HexFormat HEX = HexFormat.of();

  /** A key's hash and the pepper version it was made under. */
  public record Hashed(int version, String hash) {}

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /**
   * A 256-bit hash as four longs, most significant first: a map key that hashes and compares
   * without the 64-character hex string (the verifier's cache is keyed by it). {@link #hex()} is
   * the stored form; equal digests have equal hex.
   */
  public record Digest(long a, long b, long c, long d) {
    static Digest of(byte[] mac) {
      return new Digest(
          (long) LONGS.get(mac, 0),
          (long) LONGS.get(mac, 8),
          (long) LONGS.get(mac, 16),
          (long) LONGS.get(mac, 24));
    }

    /** The digest of a stored hash (64 hex digits), or {@code null} for any other string. */
    public static Digest ofHex(String hex) {
      if (hex == null || hex.length() != 64) {
        return null;
      }
      try {
        return of(HEX.parseHex(hex));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }

    // Written out: a record's generated equals/hashCode go through an invokedynamic bootstrap that
    // profiled slower on the verifier's cache lookup than these few compares.
    @Override
    public boolean equals(Object o) {
      return o instanceof Digest x && a == x.a && b == x.b && c == x.c && d == x.d;
    }

    @Override
    public int hashCode() {
      return (int) a; // the bits of an HMAC are uniform: any 32 of them spread as well as all 256
    }

    /** Lower-case hex, as stored. */
    public String hex() {
      return HEX.toHexDigits(a) + HEX.toHexDigits(b) + HEX.toHexDigits(c) + HEX.toHexDigits(d);
    }
  }

  /** One immutable set of pepper versions. */
  private record Ring(Map<Integer, ThreadLocal<Mac>> macs, int current, List<Integer> older) {
    String hash(int version, String key) {
      return HEX.formatHex(mac(version, key));
    }

    byte[] mac(int version, String key) {
      ThreadLocal<Mac> mac = macs.get(version);
      if (mac == null) {
        throw new IllegalArgumentException("unknown pepper version " + version);
      }
      return mac.get().doFinal(key.getBytes(StandardCharsets.US_ASCII));
    }
  }

  private volatile Ring ring;

  /** A hasher over these pepper versions; the highest version is current. */
  public KeyHasher(Collection<Pepper> peppers) {
    this.ring = ring(peppers);
  }

  private static Ring ring(Collection<Pepper> peppers) {
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
    int current = sorted.lastKey();
    return new Ring(
        sorted.values().stream()
            .collect(
                Collectors.toUnmodifiableMap(
                    Pepper::version, p -> ThreadLocal.withInitial(() -> newMac(p)))),
        current,
        List.copyOf(sorted.headMap(current, false).descendingKeySet()));
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

  /**
   * Replaces the pepper versions (after {@code keygate rotate-pepper} added or retired one). Calls
   * in flight finish on the versions they started with; later calls see the new ones.
   *
   * @throws IllegalArgumentException no version, or a version given twice
   * @throws IllegalStateException the new current version is lower than the one in force (keys
   *     minted under it would stop verifying); nothing is changed
   * @return whether the set of versions changed
   */
  public synchronized boolean reload(Collection<Pepper> peppers) {
    Ring next = ring(peppers);
    Ring now = ring;
    if (next.current() < now.current()) {
      throw new IllegalStateException(
          "refusing pepper reload: newest version would go from v"
              + now.current()
              + " back to v"
              + next.current());
    }
    boolean changed = !next.macs().keySet().equals(now.macs().keySet());
    ring = next;
    return changed;
  }

  /** The current (minting) pepper version. */
  public int currentVersion() {
    return ring.current();
  }

  /** Older versions, newest first, tried after the current one during verification. */
  public List<Integer> olderVersions() {
    return ring.older();
  }

  /** Every configured version, ascending. */
  public List<Integer> versions() {
    Ring r = ring;
    List<Integer> all = new ArrayList<>(r.older());
    Collections.reverse(all);
    all.add(r.current());
    return List.copyOf(all);
  }

  /** Lower-case hex HMAC of {@code key} under pepper {@code version}. */
  public String hash(int version, String key) {
    return ring.hash(version, key);
  }

  /** Hash under the current version. */
  public String hash(String key) {
    Ring r = ring;
    return r.hash(r.current(), key);
  }

  /** {@link #hash(String)} as a {@link Digest}, without formatting it as hex. */
  public Digest digest(String key) {
    Ring r = ring;
    return Digest.of(r.mac(r.current(), key));
  }

  /** Hash under the current version, with that version (both from the same set of peppers). */
  public Hashed current(String key) {
    Ring r = ring;
    return new Hashed(r.current(), r.hash(r.current(), key));
  }

  /** Hashes under every older version, newest first (all from the same set of peppers). */
  public List<Hashed> older(String key) {
    Ring r = ring;
    List<Hashed> out = new ArrayList<>(r.older().size());
    for (int v : r.older()) {
      out.add(new Hashed(v, r.hash(v, key)));
    }
    return out;
  }

  /**
   * A value that identifies pepper version {@code version} without revealing it or confirming any
   * key: the HMAC of a fixed label that no key format can produce. Recorded in the database so that
   * a node holding a different pepper under the same version is refused at startup (see {@link
   * SecretChecks}).
   */
  public String checkValue(int version) {
    return ring.hash(version, "keygate secret check\npepper\nv" + version);
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
