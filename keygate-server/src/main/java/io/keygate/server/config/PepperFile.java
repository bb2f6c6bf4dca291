package io.keygate.server.config;

import io.keygate.core.key.Pepper;
import io.keygate.core.key.SecretFile;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * The pepper file: a {@link SecretFile} ({@code v<N>:<base64 secret>} per line, highest version
 * mints), generated with 32 random bytes and owner-only permissions (0600) when absent.
 *
 * <p><b>Security guarantees.</b> Refuses to read a file that group or others may read, so a pepper
 * never sits world-readable. Never prints secret material.
 */
public final class PepperFile {
  private static final String WHAT = "pepper";

  private PepperFile() {}

  /** Loads the peppers from {@code file}, generating version 1 if the file does not exist. */
  public static List<Pepper> loadOrCreate(Path file, SecureRandom random) {
    return toPeppers(SecretFile.loadOrCreate(file, WHAT, Pepper.MIN_BYTES, random));
  }

  /** Loads an existing pepper file. */
  public static List<Pepper> load(Path file) throws IOException {
    return toPeppers(SecretFile.load(file, WHAT));
  }

  /**
   * Adds a new, higher version (pepper rotation) and returns its number. The file is replaced
   * atomically and stays 0600; existing versions are kept.
   */
  public static int addVersion(Path file, SecureRandom random) throws IOException {
    return SecretFile.addVersion(file, WHAT, Pepper.MIN_BYTES, random);
  }

  /**
   * Removes an older version. Keys still hashed under it stop verifying once the servers reload.
   *
   * @throws IllegalArgumentException no such version, or it is the current one
   */
  public static void retire(Path file, int version) throws IOException {
    SecretFile.removeVersion(file, WHAT, version);
  }

  private static List<Pepper> toPeppers(List<SecretFile.Version> versions) {
    try {
      return versions.stream().map(v -> new Pepper(v.version(), v.secret())).toList();
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("pepper file: " + e.getMessage());
    }
  }

  /** Parses a pepper given directly as base64 (version 1). */
  public static Pepper fromBase64(String b64) {
    try {
      return new Pepper(1, Base64.getDecoder().decode(b64.strip()));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("KEYGATE_PEPPER must be base64 of at least 32 bytes");
    }
  }
}
