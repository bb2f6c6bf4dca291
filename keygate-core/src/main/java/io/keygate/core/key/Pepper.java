package io.keygate.core.key;

import io.keygate.core.secret.Versioned;
import io.keygate.core.secret.VersionedSecrets;

/**
 * One version of the server-side HMAC secret. Never printed: {@link #toString()} shows only the
 * version.
 *
 * @param version positive version number, stored next to each hash
 * @param secret at least 32 bytes of key material
 */
public record Pepper(int version, byte[] secret) implements Versioned {
  /** Minimum pepper length in bytes. */
  public static final int MIN_BYTES = 32;

  /** Validates and defensively copies. */
  public Pepper {
    secret = VersionedSecrets.copyOfAtLeast("pepper", version, secret, MIN_BYTES);
  }

  @Override
  public byte[] secret() {
    return secret.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Pepper p
        && VersionedSecrets.sameSecret(p.version, p.secret, version, secret);
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
