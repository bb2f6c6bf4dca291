package io.keygate.server.config;

import java.time.Duration;
import java.util.Map;

/**
 * How a running node picks up a rotated pepper or data key: it checks the pepper file and the
 * data-key file every {@code reloadInterval} and reloads a file whose modification time, size or
 * identity (inode) changed. Every node reading the same files reloads them on its own.
 *
 * @param reloadInterval time between checks; {@link Duration#ZERO} turns reloading off
 */
public record SecretsConfig(Duration reloadInterval) {
  /** Default time between checks of the secret files. */
  public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);

  /** Validates. */
  public SecretsConfig {
    if (reloadInterval == null || reloadInterval.isNegative()) {
      throw new IllegalArgumentException("the secrets reload interval must be >= 0");
    }
  }

  /** The defaults: a check every 5 seconds. */
  public static SecretsConfig defaults() {
    return new SecretsConfig(DEFAULT_RELOAD_INTERVAL);
  }

  /** Reads {@code KEYGATE_SECRETS_RELOAD_SECONDS} (default 5; 0 turns reloading off). */
  public static SecretsConfig fromEnv(Map<String, String> env) {
    long s =
        Env.longVar(env, "KEYGATE_SECRETS_RELOAD_SECONDS", DEFAULT_RELOAD_INTERVAL.toSeconds());
    if (s < 0) {
      throw new IllegalArgumentException("KEYGATE_SECRETS_RELOAD_SECONDS must be >= 0, was " + s);
    }
    return new SecretsConfig(Duration.ofSeconds(s));
  }

  /** For the startup log. */
  public String describe() {
    return reloadInterval.isZero()
        ? "secret files are read at startup only"
        : "pepper and data-key files re-read on change, checked every "
            + reloadInterval.toSeconds()
            + " s";
  }
}
