package io.keygate.server.config;

import io.keygate.core.key.SecretFile;
import io.keygate.core.notify.DataKey;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * The data-encryption key file, a {@link SecretFile}: one line per version, {@code v<N>:<base64 of
 * 32 bytes>}; the highest version seals, all open (rotate by appending a line). Generated with
 * owner-only permissions (0600) on first start, like the pepper file.
 *
 * <p><b>Security guarantees.</b> Refuses a file that group or others may read. Never prints key
 * material.
 */
public final class DataKeyFile {
  private static final String WHAT = "data key";
  private static final int BYTES = 32;

  private DataKeyFile() {}

  /**
   * The data keys a configuration names: the variable if set, else the file (created if absent).
   */
  public static List<DataKey> load(NotifyConfig config, Path dataDir, SecureRandom random) {
    if (config.dataKeyEnv() != null) {
      return List.of(fromBase64(config.dataKeyEnv()));
    }
    return loadOrCreate(config.effectiveDataKeyFile(dataDir), random);
  }

  /** Parses {@code KEYGATE_DATA_KEY}: base64 of 32 bytes (version 1). */
  public static DataKey fromBase64(String b64) {
    try {
      return new DataKey(1, Base64.getDecoder().decode(b64.strip()));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("KEYGATE_DATA_KEY must be base64 of exactly 32 bytes");
    }
  }

  /** Loads the file, generating version 1 if it does not exist. */
  public static List<DataKey> loadOrCreate(Path file, SecureRandom random) {
    return toKeys(file, SecretFile.loadOrCreate(file, WHAT, BYTES, random));
  }

  /** Loads an existing data-key file. */
  public static List<DataKey> load(Path file) throws IOException {
    return toKeys(file, SecretFile.load(file, WHAT));
  }

  /**
   * Adds a new, higher version (data-key rotation) and returns its number. The file is replaced
   * atomically and stays 0600; existing versions are kept.
   */
  public static int addVersion(Path file, SecureRandom random) throws IOException {
    return SecretFile.addVersion(file, WHAT, BYTES, random);
  }

  /**
   * Removes an older version. Values still sealed under it stop opening once the servers reload.
   *
   * @throws IllegalArgumentException no such version, or it is the current one
   */
  public static void retire(Path file, int version) throws IOException {
    SecretFile.removeVersion(file, WHAT, version);
  }

  private static List<DataKey> toKeys(Path file, List<SecretFile.Version> versions) {
    try {
      return versions.stream().map(v -> new DataKey(v.version(), v.secret())).toList();
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("data key file " + file + ": " + e.getMessage());
    }
  }
}
