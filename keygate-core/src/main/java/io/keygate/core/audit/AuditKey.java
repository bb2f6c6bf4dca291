package io.keygate.core.audit;

import io.keygate.core.secret.Versioned;
import io.keygate.core.secret.VersionedSecrets;

/**
 * One version of the audit key: the HMAC-SHA256 secret that links the audit chain. Kept outside the
 * database (a file in the data directory or an environment variable), like the pepper. Never
 * printed: {@link #toString()} shows only the version.
 *
 * @param version positive version number, stored with every event linked under it
 * @param secret at least {@value #MIN_BYTES} bytes of key material
 */
public record AuditKey(int version, byte[] secret) implements Versioned {
  /** Minimum key length in bytes. */
  public static final int MIN_BYTES = 32;

  /** Validates and defensively copies. */
  public AuditKey {
    secret = VersionedSecrets.copyOfAtLeast("audit key", version, secret, MIN_BYTES);
  }

  @Override
  public byte[] secret() {
    return secret.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AuditKey k
        && VersionedSecrets.sameSecret(k.version, k.secret, version, secret);
  }

  @Override
  public int hashCode() {
    return version;
  }

  @Override
  public String toString() {
    return "AuditKey[v" + version + ", ****]";
  }
}
