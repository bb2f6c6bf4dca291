package io.keygate.server.config;

import io.keygate.core.lifecycle.KeyPolicy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Server configuration: every setting with its default, read from environment variables ({@code
 * KEYGATE_*}) and overridden by command-line flags. Validated on construction.
 *
 * @param host interface to bind ({@value #DEFAULT_HOST}; {@code 0.0.0.0} to expose)
 * @param port TCP port ({@value #DEFAULT_PORT}; 0 picks a free one)
 * @param dataDir embedded data directory (SQLite database, generated pepper)
 * @param databaseUrl JDBC/PostgreSQL URL, or {@code null} for SQLite in {@code dataDir}
 * @param pepperFile pepper file, or {@code null} for {@code <dataDir>/pepper}
 * @param pepperEnv base64 pepper given directly (version 1), or {@code null}
 * @param cacheSize keys held by the verification cache
 * @param cacheTtl lifetime of a cache entry nothing invalidated
 * @param usageFlushInterval how often batched usage is written
 * @param sweepInterval how often ended rotation grace periods are recorded as revocations
 * @param maxBodyBytes largest request body accepted
 * @param trustedProxies CIDR ranges whose X-Forwarded-For/X-Real-IP headers are believed
 * @param forwardAuth the gateway in front of {@code /v1/authz} ({@code KEYGATE_FORWARD_AUTH})
 * @param policy key lifecycle policy
 */
public record ServerConfig(
    String host,
    int port,
    Path dataDir,
    String databaseUrl,
    Path pepperFile,
    String pepperEnv,
    long cacheSize,
    Duration cacheTtl,
    Duration usageFlushInterval,
    Duration sweepInterval,
    long maxBodyBytes,
    List<String> trustedProxies,
    ForwardAuth forwardAuth,
    KeyPolicy policy) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8080;
  public static final String DEFAULT_DATA_DIR = "keygate-data";
  public static final Duration DEFAULT_USAGE_FLUSH = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SWEEP = Duration.ofSeconds(60);
  public static final long DEFAULT_MAX_BODY = 64 * 1024;
  public static final List<String> DEFAULT_TRUSTED_PROXIES = List.of("127.0.0.0/8", "::1/128");

  /** Validates every setting. */
  public ServerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, was " + port);
    }
    if (cacheSize < 0) {
      throw new IllegalArgumentException("cache size must be >= 0");
    }
    Settings.requirePositive(cacheTtl, "cache TTL");
    Settings.requirePositive(usageFlushInterval, "usage flush interval");
    Settings.requirePositive(sweepInterval, "sweep interval");
    if (maxBodyBytes < 1024) {
      throw new IllegalArgumentException("max body must be at least 1024 bytes");
    }
    trustedProxies = List.copyOf(trustedProxies);
    Objects.requireNonNull(forwardAuth, "forwardAuth");
    Objects.requireNonNull(policy, "policy");
  }

  /** All defaults, for the embedded server in {@code ./keygate-data}. */
  public static ServerConfig defaults() {
    return fromEnv(Map.of());
  }

  /**
   * Reads {@code KEYGATE_*} variables from {@code env} through {@link Settings}; unset ones take
   * their defaults.
   *
   * @throws IllegalArgumentException naming the first invalid variable
   */
  public static ServerConfig fromEnv(Map<String, String> env) {
    Duration maxTtl = Settings.MAX_TTL.from(env);
    KeyPolicy policy =
        new KeyPolicy(
            maxTtl,
            maxTtl,
            Settings.DEFAULT_GRACE.from(env),
            Settings.MAX_GRACE.from(env),
            KeyPolicy.DEFAULTS.defaultScopes());
    return new ServerConfig(
        Settings.HOST.from(env),
        Settings.PORT.from(env),
        Settings.DATA_DIR.from(env),
        Settings.DATABASE_URL.from(env),
        Settings.PEPPER_FILE.from(env),
        Settings.PEPPER.from(env),
        Settings.CACHE_SIZE.from(env),
        Settings.CACHE_TTL.from(env),
        Settings.USAGE_FLUSH.from(env),
        Settings.SWEEP.from(env),
        Settings.MAX_BODY.from(env),
        Settings.TRUSTED_PROXIES.from(env),
        Settings.FORWARD_AUTH.from(env),
        policy);
  }

  /** Splits a comma-separated list, dropping blanks. */
  public static List<String> splitList(String s) {
    List<String> out = new ArrayList<>();
    for (String p : s.split(",")) {
      if (!p.isBlank()) {
        out.add(p.trim());
      }
    }
    return out;
  }

  /** A copy with other network settings. */
  public ServerConfig withNetwork(String newHost, int newPort) {
    return copy(newHost, newPort, dataDir, databaseUrl, trustedProxies, forwardAuth);
  }

  /** A copy with other storage settings. */
  public ServerConfig withStorage(Path newDataDir, String newDatabaseUrl) {
    return copy(host, port, newDataDir, newDatabaseUrl, trustedProxies, forwardAuth);
  }

  /** A copy with other gateway settings: trusted proxies and the forward-auth form. */
  public ServerConfig withGateway(List<String> newTrustedProxies, ForwardAuth newForwardAuth) {
    return copy(host, port, dataDir, databaseUrl, newTrustedProxies, newForwardAuth);
  }

  /** The one copy behind the {@code with*} methods: these settings changed, the others kept. */
  private ServerConfig copy(
      String newHost,
      int newPort,
      Path newDataDir,
      String newDatabaseUrl,
      List<String> newTrustedProxies,
      ForwardAuth newForwardAuth) {
    return new ServerConfig(
        newHost,
        newPort,
        newDataDir,
        newDatabaseUrl,
        pepperFile,
        pepperEnv,
        cacheSize,
        cacheTtl,
        usageFlushInterval,
        sweepInterval,
        maxBodyBytes,
        newTrustedProxies,
        newForwardAuth,
        policy);
  }

  /** The pepper file in use. */
  public Path effectivePepperFile() {
    return pepperFile != null ? pepperFile : dataDir.resolve("pepper");
  }
}
