package io.keygate.core.secret;

import java.security.MessageDigest;

/**
 * The checks every versioned secret (pepper, audit key, data key) makes on construction, and its
 * comparison, written once.
 *
 * <p><b>Security guarantees.</b> Messages name the secret and its version, never its bytes; {@link
 * #sameSecret} compares in constant time.
 */
public final class VersionedSecrets {
  private VersionedSecrets() {}

  /**
   * Refuses a version below 1.
   *
   * @param name what the secret is called in messages, e.g. {@code "pepper"}
   * @throws IllegalArgumentException {@code version < 1}
   */
  public static void requireVersion(String name, int version) {
    if (version < 1) {
      throw new IllegalArgumentException(name + " version must be >= 1, was " + version);
    }
  }

  /**
   * Checks the version and that {@code secret} holds at least {@code minBytes} bytes, and returns a
   * copy of it.
   *
   * @throws IllegalArgumentException the version is below 1, or the secret is null or too short
   */
  public static byte[] copyOfAtLeast(String name, int version, byte[] secret, int minBytes) {
    requireVersion(name, version);
    if (secret == null || secret.length < minBytes) {
      throw new IllegalArgumentException(
          name + " v" + version + " must be at least " + minBytes + " bytes");
    }
    return secret.clone();
  }

  /** Whether two versioned secrets are the same version with the same bytes (constant time). */
  public static boolean sameSecret(int version, byte[] secret, int otherVersion, byte[] other) {
    return version == otherVersion && MessageDigest.isEqual(secret, other);
  }
}
