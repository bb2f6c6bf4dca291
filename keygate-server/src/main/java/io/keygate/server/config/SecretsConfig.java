package io.keygate.server.config;

import io.keygate.core.Keygate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Where the audit key comes from, and how a running node picks up a rotated pepper, data key or
 * audit key: it checks the pepper, data-key and audit-key files every {@code reloadInterval} and
 * reloads a file whose modification time, size or identity (inode) changed. Every node reading the
 * same files reloads them on its own. Keys still under an older pepper version are re-hashed under
 * the current one only once it has been current on the node for {@code pepperRehashDelay}, so that
 * nodes loading it later keep finding them meanwhile.
 *
 * @param reloadInterval time between checks; {@link Duration#ZERO} turns reloading off
 * @param pepperRehashDelay see {@link io.keygate.core.Keygate.Builder#pepperRehashDelay}
 * @param auditKeyEnv base64 audit key given directly ({@code KEYGATE_AUDIT_KEY}, version 1), or
 *     {@code null}
 * @param auditKeyFile audit key file ({@code KEYGATE_AUDIT_KEY_FILE}), or {@code null} for {@code
 *     <data dir>/audit-key}
 */
public record SecretsConfig(
    Duration reloadInterval, Duration pepperRehashDelay, String auditKeyEnv, Path auditKeyFile) {
  /** Default time between checks of the secret files. */
  public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);

  /** Validates. */
  public SecretsConfig {
    if (reloadInterval == null || reloadInterval.isNegative()) {
      throw new IllegalArgumentException("the secrets reload interval must be >= 0");
    }
    if (pepperRehashDelay == null || pepperRehashDelay.isNegative()) {
      throw new IllegalArgumentException("the pepper re-hash delay must be >= 0");
    }
  }

  /**
   * The defaults: a check every 5 seconds, re-hashing after {@link
   * Keygate#DEFAULT_PEPPER_REHASH_DELAY}, the audit key in {@code <data dir>/audit-key}.
   */
  public static SecretsConfig defaults() {
    return new SecretsConfig(
        DEFAULT_RELOAD_INTERVAL, Keygate.DEFAULT_PEPPER_REHASH_DELAY, null, null);
  }

  /**
   * Reads {@code KEYGATE_SECRETS_RELOAD_SECONDS} (default 5; 0 turns reloading off), {@code
   * KEYGATE_PEPPER_REHASH_DELAY_SECONDS} (default 600), {@code KEYGATE_AUDIT_KEY} and {@code
   * KEYGATE_AUDIT_KEY_FILE} through {@link Settings}.
   */
  public static SecretsConfig fromEnv(Map<String, String> env) {
    return new SecretsConfig(
        Settings.SECRETS_RELOAD.from(env),
        Settings.PEPPER_REHASH_DELAY.from(env),
        Settings.AUDIT_KEY.from(env),
        Settings.AUDIT_KEY_FILE.from(env));
  }

  /** A copy with another reload interval. */
  public SecretsConfig withReloadInterval(Duration interval) {
    return new SecretsConfig(interval, pepperRehashDelay, auditKeyEnv, auditKeyFile);
  }

  /** A copy with another pepper re-hash delay. */
  public SecretsConfig withPepperRehashDelay(Duration delay) {
    return new SecretsConfig(reloadInterval, delay, auditKeyEnv, auditKeyFile);
  }

  /** The audit key file in use for a data directory. */
  public Path effectiveAuditKeyFile(Path dataDir) {
    return auditKeyFile != null ? auditKeyFile : dataDir.resolve("audit-key");
  }

  /** Where this node's audit witness lives: {@code <data dir>/audit-head}. */
  public static Path witnessFile(Path dataDir) {
    return dataDir.resolve("audit-head");
  }
}
