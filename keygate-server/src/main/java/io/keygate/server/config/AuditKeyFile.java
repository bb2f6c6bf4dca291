package io.keygate.server.config;

import io.keygate.core.audit.AuditKey;
import io.keygate.core.key.SecretFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * The audit key file, a {@link SecretFile}: one line per version, {@code v<N>:<base64 of at least
 * 32 bytes>}; the highest version links new audit events, all verify (rotate by adding a line with
 * {@code keygate rotate-audit-key}). Generated with owner-only permissions (0600) on first start,
 * like the pepper file.
 *
 * <p><b>Security guarantees.</b> Refuses a file that group or others may read. Never prints key
 * material.
 */
public final class AuditKeyFile {
  private static final String WHAT = "audit key";

  private AuditKeyFile() {}

  /**
   * The audit keys a configuration names: {@code KEYGATE_AUDIT_KEY} if set, else the file, created
   * when absent if {@code create}.
   *
   * @throws IllegalStateException no file exists and {@code create} is false
   */
  public static List<AuditKey> load(SecretsConfig config, Path dataDir, boolean create) {
    if (config.auditKeyEnv() != null) {
      return List.of(fromBase64(config.auditKeyEnv()));
    }
    Path file = config.effectiveAuditKeyFile(dataDir);
    if (create) {
      return toKeys(
          file, SecretFile.loadOrCreate(file, WHAT, AuditKey.MIN_BYTES, new SecureRandom()));
    }
    if (!Files.exists(file)) {
      throw new IllegalStateException(
          "no audit key: set KEYGATE_AUDIT_KEY or KEYGATE_AUDIT_KEY_FILE (the server's <data"
              + " dir>/audit-key); none at "
              + file);
    }
    try {
      return load(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read audit key file " + file, e);
    }
  }

  /** Parses {@code KEYGATE_AUDIT_KEY}: base64 of at least 32 bytes (version 1). */
  public static AuditKey fromBase64(String b64) {
    try {
      return new AuditKey(1, Base64.getDecoder().decode(b64.strip()));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("KEYGATE_AUDIT_KEY must be base64 of at least 32 bytes");
    }
  }

  /** Loads an existing audit key file. */
  public static List<AuditKey> load(Path file) throws IOException {
    return toKeys(file, SecretFile.load(file, WHAT));
  }

  /**
   * Adds a new, higher version (audit key rotation) and returns its number. The file is replaced
   * atomically and stays 0600; existing versions are kept (events linked under them keep
   * verifying).
   */
  public static int addVersion(Path file, SecureRandom random) throws IOException {
    return SecretFile.addVersion(file, WHAT, AuditKey.MIN_BYTES, random);
  }

  private static List<AuditKey> toKeys(Path file, List<SecretFile.Version> versions) {
    try {
      return versions.stream().map(v -> new AuditKey(v.version(), v.secret())).toList();
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("audit key file " + file + ": " + e.getMessage());
    }
  }
}
