package io.keygate.core.key;

import java.util.Arrays;

/**
 * One version of the server-side HMAC secret. Never printed: {@link #toString()} shows only the
 * version.
 *
 * @param version positive version number, stored next to each hash
 * @param secret at least 32 bytes of key material
 */
public record Pepper(int version, byte[] secret) {
  /** Minimum pepper length in bytes. */
  public static final int MIN_BYTES = 32;

  /** Validates and defensively copies. */
  public Pepper {
    if (version < 1) {
      throw new IllegalArgumentException("pepper version must be >= 1, was " + version);
    }
    if (secret == null || secret.length < MIN_BYTES) {
      throw new IllegalArgumentException(
          "pepper v" + version + " must be at least " + MIN_BYTES + " bytes");
    }
    secret = secret.clone();
  }

  @Override
  public byte[] secret() {
    return secret.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pepper p && p.version == version && Arrays.equals(p.secret, secret);
  }

  @Override
  public int hashCode() {
    return version;
  }

  @Override
  public String toString() {
    return "Pepper[v" + version + ", ****]";
  }
}
