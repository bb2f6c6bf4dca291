package io.keygate.core.key;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The public key format {@code <prefix><43 base62 body><6 base62 CRC-32 checksum>} (PRODUCT.md §1):
 * minting and offline validation.
 *
 * <p><b>Security guarantees.</b> Bodies are drawn uniformly from the 62 digits by rejection
 * sampling over bytes from the injected {@link SecureRandom}: 43 digits carry {@code 43·log2(62) ≈
 * 256} bits of entropy. {@link #identify} does no I/O and never throws on hostile input, so it can
 * run before any lookup. Thread-safe if the random source is.
 */
public final class KeyFormat {
  /** Characters in a key body. */
  public static final int BODY_LENGTH = 43;

  /** Characters after the prefix: body plus checksum. */
  public static final int TAIL_LENGTH = BODY_LENGTH + Checksum.LENGTH;

  /** Longest key accepted anywhere (longest legal prefix plus tail). */
  public static final int MAX_KEY_LENGTH = 32 + TAIL_LENGTH;

  private final KeyTypes types;
  private final Supplier<SecureRandom> random;

  /**
   * @param types the configured key types
   * @param random source of randomness for new keys (tests inject a seeded one)
   */
  public KeyFormat(KeyTypes types, Supplier<SecureRandom> random) {
    this.types = Objects.requireNonNull(types, "types");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The configured key types. */
  public KeyTypes types() {
    return types;
  }

  /** Mints a new key of {@code type}. The caller must show it once and then drop it. */
  public ApiKeySecret generate(KeyType type) {
    String body = randomBase62(random.get(), BODY_LENGTH);
    return new ApiKeySecret(type.prefix() + body + Checksum.of(body));
  }

  /** {@code n} base62 digits, uniformly distributed (rejection sampling, no modulo bias). */
  public static String randomBase62(SecureRandom rnd, int n) {
    char[] out = new char[n];
    byte[] buf = new byte[n + 16];
    int filled = 0;
    while (filled < n) {
      rnd.nextBytes(buf);
      for (int i = 0; i < buf.length && filled < n; i++) {
        int v = buf[i] & 0xFF;
        if (v < 248) { // 248 = 4 * 62: the largest multiple of 62 within a byte
          out[filled++] = Base62.ALPHABET.charAt(v % 62);
        }
      }
    }
    return new String(out);
  }

  /**
   * The key type of a well-formed key with a correct checksum, or {@code null} for anything else
   * (wrong length, unknown prefix, non-base62 characters, wrong checksum). No I/O, no exceptions,
   * no allocation beyond the prefix substring.
   */
  public KeyType identify(CharSequence key) {
    if (key == null) {
      return null;
    }
    int len = key.length();
    if (len <= TAIL_LENGTH || len > MAX_KEY_LENGTH) {
      return null;
    }
    int bodyAt = len - TAIL_LENGTH;
    if (key.charAt(bodyAt - 1) != '_') {
      return null;
    }
    for (int i = bodyAt; i < len; i++) {
      if (!Base62.isDigit(key.charAt(i))) {
        return null;
      }
    }
    KeyType type = types.byPrefixOf(key, bodyAt);
    if (type == null || !Checksum.matches(key, bodyAt, len - Checksum.LENGTH)) {
      return null;
    }
    return type;
  }

  /**
   * The first well-formed key with a correct checksum anywhere in {@code text}, or {@code null}.
   * Unlike the scanner it needs no word boundary: a key glued to other characters ({@code
   * tokensk_live_…}, {@code …tail0more}) is found too. Linear in the text; allocates only for a
   * candidate that already has a full base62 tail after a known prefix.
   */
  public ApiKeySecret findIn(CharSequence text) {
    if (text == null) {
      return null;
    }
    int n = text.length();
    for (int u = indexOf(text, '_', 0);
        u >= 0 && u + TAIL_LENGTH < n;
        u = indexOf(text, '_', u + 1)) {
      int tail = u + 1;
      int run = 0;
      while (run < TAIL_LENGTH && Base62.isDigit(text.charAt(tail + run))) {
        run++;
      }
      if (run < TAIL_LENGTH) {
        continue;
      }
      for (KeyType t : types.all()) {
        int start = tail - t.prefix().length();
        if (start >= 0
            && text.subSequence(start, tail).toString().equals(t.prefix())
            && Checksum.matches(text, tail, tail + BODY_LENGTH)) {
          return new ApiKeySecret(text.subSequence(start, tail + TAIL_LENGTH).toString());
        }
      }
    }
    return null;
  }

  private static int indexOf(CharSequence s, char c, int from) {
    for (int i = from; i < s.length(); i++) {
      if (s.charAt(i) == c) {
        return i;
      }
    }
    return -1;
  }

  /** Display hint: prefix + {@code …} + last 4 characters. Reveals 24 bits of the checksum. */
  public static String hint(KeyType type, CharSequence key) {
    return type.prefix() + "…" + key.subSequence(key.length() - 4, key.length());
  }
}
