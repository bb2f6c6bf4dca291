package io.keygate.core.key;

import java.util.zip.CRC32;

/**
 * The key checksum: CRC-32 ({@link CRC32}) of the ASCII body, written as 6 base62 digits, most
 * significant first, left-padded with {@code 0} — the scheme of GitHub's tokens, so their published
 * expired tokens serve as independent known-answer vectors.
 *
 * <p>The checksum is not a secret and gives no security by itself; it lets scanners and the
 * verifier reject look-alikes offline, before any hashing or lookup. Thread-safe.
 */
public final class Checksum {
  /** Number of base62 characters of a checksum. 62^6 &gt; 2^32, so every CRC-32 fits. */
  public static final int LENGTH = 6;

  private Checksum() {}

  /** The checksum of {@code body[from, to)}; every char must be ASCII. */
  public static String of(CharSequence body, int from, int to) {
    return Base62.encodeFixed(crc(body, from, to), LENGTH);
  }

  /** The checksum of the whole {@code body}. */
  public static String of(CharSequence body) {
    return of(body, 0, body.length());
  }

  /**
   * Whether {@code s[checksumAt, checksumAt + 6)} is the checksum of {@code s[bodyFrom,
   * checksumAt)}. Allocation-free; for the hot path and the scanner.
   */
  public static boolean matches(CharSequence s, int bodyFrom, int checksumAt) {
    if (checksumAt + LENGTH > s.length()) {
      return false;
    }
    long v = crc(s, bodyFrom, checksumAt);
    for (int i = checksumAt + LENGTH - 1; i >= checksumAt; i--) {
      if (s.charAt(i) != Base62.ALPHABET.charAt((int) (v % 62))) {
        return false;
      }
      v /= 62;
    }
    return true;
  }

  private static long crc(CharSequence s, int from, int to) {
    CRC32 crc = new CRC32();
    byte[] buf = new byte[Math.min(64, Math.max(1, to - from))];
    int i = from;
    while (i < to) {
      int n = Math.min(buf.length, to - i);
      for (int j = 0; j < n; j++) {
        buf[j] = (byte) s.charAt(i + j);
      }
      crc.update(buf, 0, n);
      i += n;
    }
    return crc.getValue();
  }
}
