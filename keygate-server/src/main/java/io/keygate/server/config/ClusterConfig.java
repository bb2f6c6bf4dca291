package io.keygate.server.config;

import io.keygate.redis.KeygateRedis;
import io.keygate.redis.RateLimitFallback;
import java.time.Duration;
import java.util.Map;

/**
 * Settings for running several nodes on PostgreSQL and Redis, read from {@code KEYGATE_*}
 * environment variables. Every setting has a default; with no {@code KEYGATE_REDIS_URL} the node
 * runs alone (in-process rate limits, no cross-node invalidation).
 *
 * @param redisUrl {@code KEYGATE_REDIS_URL}: {@code redis://host:port[/db]} or {@code rediss://…};
 *     {@code null} (default) disables Redis
 * @param redisPrefix {@code KEYGATE_REDIS_PREFIX}: key and channel namespace ({@value
 *     KeygateRedis#DEFAULT_PREFIX})
 * @param redisTimeout {@code KEYGATE_REDIS_TIMEOUT_MS}: per-command timeout (50 ms)
 * @param redisBreaker {@code KEYGATE_REDIS_BREAKER_SECONDS}: how long rate limiting skips Redis
 *     after a failure (5 s)
 * @param rateLimitFallback {@code KEYGATE_REDIS_RATE_LIMIT_FALLBACK}: {@code local} (default:
 *     per-node buckets sized limit/nodes) or {@code closed} (refuse with {@code rate_limited})
 * @param nodes {@code KEYGATE_CLUSTER_NODES}: number of nodes, for the local fallback (1)
 * @param redisCacheTtl {@code KEYGATE_REDIS_CACHE_TTL_SECONDS}: local cache TTL while Redis is
 *     enabled, the bound on staleness when an invalidation is lost (30 s)
 * @param storeOutageGrace {@code KEYGATE_STORE_OUTAGE_GRACE_SECONDS}: with an external database,
 *     the longest a cached key keeps being served without the store confirming it, i.e. the upper
 *     bound on the cache TTL (60 s)
 * @param jobLease {@code KEYGATE_JOB_LEASE_SECONDS}: how long a node holds a background job's
 *     cluster-wide lease before another node may take it over (120 s)
 * @param databaseConnectTimeout {@code KEYGATE_DATABASE_CONNECT_TIMEOUT_MS}: with an external
 *     database, the longest a request waits for a connection (and a new connection for its
 *     handshake) before it is answered {@code 503 store_unavailable} (3 s); see {@link
 *     io.keygate.store.jdbc.JdbcStores#connectionTimeout}
 * @param changePoll {@code KEYGATE_CHANGE_POLL_MS}: how often a node reads the database's change
 *     feed ({@link io.keygate.store.jdbc.ChangeFeed}), the path by which revocations and other key
 *     changes reach it when Redis is down or absent (250 ms; 10..5000)
 * @param changeListen {@code KEYGATE_CHANGE_LISTEN}: on PostgreSQL, also wake the feed's follower
 *     by {@code LISTEN}/{@code NOTIFY} as soon as a change commits, on one pooled connection held
 *     for it ({@code true}); turn off behind a pooler that does not keep sessions (PgBouncer in
 *     transaction mode), where only polling works
 */
public record ClusterConfig(
    String redisUrl,
    String redisPrefix,
    Duration redisTimeout,
    Duration redisBreaker,
    RateLimitFallback rateLimitFallback,
    int nodes,
    Duration redisCacheTtl,
    Duration storeOutageGrace,
    Duration jobLease,
    Duration databaseConnectTimeout,
    Duration changePoll,
    boolean changeListen) {

  public static final RateLimitFallback DEFAULT_RATE_LIMIT_FALLBACK = RateLimitFallback.LOCAL;
  public static final int DEFAULT_NODES = 1;
  public static final Duration DEFAULT_REDIS_CACHE_TTL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_STORE_OUTAGE_GRACE = Duration.ofSeconds(60);
  public static final Duration DEFAULT_JOB_LEASE = Duration.ofSeconds(120);
  public static final Duration DEFAULT_DATABASE_CONNECT_TIMEOUT = Duration.ofSeconds(3);
  public static final Duration DEFAULT_CHANGE_POLL = Duration.ofMillis(250);
  public static final boolean DEFAULT_CHANGE_LISTEN = true;
  static final Duration MIN_CHANGE_POLL = Duration.ofMillis(10);
  static final Duration MAX_CHANGE_POLL = Duration.ofSeconds(5);

  /** Validates every setting. */
  public ClusterConfig {
    if (redisUrl != null) {
      KeygateRedis.builder().uri(redisUrl).prefix(redisPrefix); // same checks as at connect time
    }
    if (nodes < 1) {
      throw new IllegalArgumentException("KEYGATE_CLUSTER_NODES must be >= 1, was " + nodes);
    }
    for (Duration d :
        new Duration[] {redisTimeout, redisBreaker, redisCacheTtl, storeOutageGrace}) {
      Settings.requirePositive(d, "cluster durations");
    }
    if (jobLease == null || jobLease.toSeconds() < 5) {
      throw new IllegalArgumentException("KEYGATE_JOB_LEASE_SECONDS must be >= 5, was " + jobLease);
    }
    if (databaseConnectTimeout == null || databaseConnectTimeout.toMillis() < 250) {
      throw new IllegalArgumentException(
          "KEYGATE_DATABASE_CONNECT_TIMEOUT_MS must be >= 250, was " + databaseConnectTimeout);
    }
    if (changePoll == null
        || changePoll.compareTo(MIN_CHANGE_POLL) < 0
        || changePoll.compareTo(MAX_CHANGE_POLL) > 0) {
      throw new IllegalArgumentException(
          "KEYGATE_CHANGE_POLL_MS must be 10..5000, was "
              + (changePoll == null ? null : changePoll.toMillis()));
    }
  }

  /** A single node without Redis. */
  public static ClusterConfig defaults() {
    return fromEnv(Map.of());
  }

  /**
   * Reads the variables from {@code env} through {@link Settings}; unset ones take their defaults.
   */
  public static ClusterConfig fromEnv(Map<String, String> env) {
    return new ClusterConfig(
        Settings.REDIS_URL.from(env),
        Settings.REDIS_PREFIX.from(env),
        Settings.REDIS_TIMEOUT.from(env),
        Settings.REDIS_BREAKER.from(env),
        Settings.REDIS_RATE_LIMIT_FALLBACK.from(env),
        Settings.CLUSTER_NODES.from(env),
        Settings.REDIS_CACHE_TTL.from(env),
        Settings.STORE_OUTAGE_GRACE.from(env),
        Settings.JOB_LEASE.from(env),
        Settings.DATABASE_CONNECT_TIMEOUT.from(env),
        Settings.CHANGE_POLL.from(env),
        Settings.CHANGE_LISTEN.from(env));
  }

  /** A copy with Redis at {@code url} under {@code prefix}. */
  public ClusterConfig withRedis(String url, String prefix) {
    return copy(url, prefix, rateLimitFallback, nodes);
  }

  /** A copy with another fallback and node count. */
  public ClusterConfig withFallback(RateLimitFallback f, int n) {
    return copy(redisUrl, redisPrefix, f, n);
  }

  /** The one copy behind the {@code with*} methods: these settings changed, the others kept. */
  private ClusterConfig copy(String url, String prefix, RateLimitFallback f, int n) {
    return new ClusterConfig(
        url,
        prefix,
        redisTimeout,
        redisBreaker,
        f,
        n,
        redisCacheTtl,
        storeOutageGrace,
        jobLease,
        databaseConnectTimeout,
        changePoll,
        changeListen);
  }

  /**
   * The verification cache TTL to use: the configured one, shortened to {@link #redisCacheTtl} when
   * Redis is enabled and to {@link #storeOutageGrace} when the store is an external database.
   */
  public Duration effectiveCacheTtl(Duration configured, boolean externalDatabase) {
    Duration t = configured;
    if (redisUrl != null && redisCacheTtl.compareTo(t) < 0) {
      t = redisCacheTtl;
    }
    if (externalDatabase && storeOutageGrace.compareTo(t) < 0) {
      t = storeOutageGrace;
    }
    return t;
  }
}
