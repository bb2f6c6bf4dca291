package io.keygate.core.key;

import java.util.Arrays;

/**
 * The base62 alphabet used by Keygate keys: {@code 0-9A-Za-z}, in that order (the order of GitHub's
 * token checksum encoding, which Keygate's checksum reproduces).
 *
 * <p>Thread-safe: stateless.
 */
public final class Base62 {
  /** The 62 digits, most significant value last. */
  public static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

  private static final byte[] VALUES = new byte[128];

  static {
    Arrays.fill(VALUES, (byte) -1);
    for (int i = 0; i < ALPHABET.length(); i++) {
      VALUES[ALPHABET.charAt(i)] = (byte) i;
    }
  }

  private Base62() {}

  /** Whether {@code c} is one of the 62 digits. */
  public static boolean isDigit(char c) {
    return c < 128 && VALUES[c] >= 0;
  }

  /**
   * Writes {@code value} (treated as unsigned 32-bit) as exactly {@code width} base62 digits, most
   * significant first, left-padded with {@code '0'}.
   */
  public static String encodeFixed(long value, int width) {
    char[] out = new char[width];
    long v = value;
    for (int i = width - 1; i >= 0; i--) {
      out[i] = ALPHABET.charAt((int) (v % 62));
      v /= 62;
    }
    if (v != 0) {
      throw new IllegalArgumentException("value " + value + " does not fit " + width + " digits");
    }
    return new String(out);
  }
}
