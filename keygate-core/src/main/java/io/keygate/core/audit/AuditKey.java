package io.keygate.core.audit;

import java.util.Arrays;

/**
 * One version of the audit key: the HMAC-SHA256 secret that links the audit chain. Kept outside the
 * database (a file in the data directory or an environment variable), like the pepper. Never
 * printed: {@link #toString()} shows only the version.
 *
 * @param version positive version number, stored with every event linked under it
 * @param secret at least {@value #MIN_BYTES} bytes of key material
 */
public record AuditKey(int version, byte[] secret) {
  /** Minimum key length in bytes. */
  public static final int MIN_BYTES = 32;

  /** Validates and defensively copies. */
  public AuditKey {
    if (version < 1) {
      throw new IllegalArgumentException("audit key version must be >= 1, was " + version);
    }
    if (secret == null || secret.length < MIN_BYTES) {
      throw new IllegalArgumentException(
          "audit key v" + version + " must be at least " + MIN_BYTES + " bytes");
    }
    secret = secret.clone();
  }

  @Override
  public byte[] secret() {
    return secret.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AuditKey k && k.version == version && Arrays.equals(k.secret, secret);
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
