package io.keygate.redis;

import io.keygate.core.verify.CredentialKind;
import io.keygate.core.verify.Verifier;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis for a cluster of Keygate nodes: cross-node cache invalidation (pub/sub), and, with one Lua
 * script call each, distributed rate limits, brute-force counters ({@link RedisBruteForce}) and
 * quota balances ({@link RedisQuotas}).
 *
 * <pre>{@code
 * KeygateRedis redis = KeygateRedis.builder().uri("redis://10.0.0.5:6379").prefix("keygate:").build();
 * redis.attach(keygate.verifier());   // subscribe, publish invalidations, share rate limits
 * ...
 * redis.close();
 * }</pre>
 *
 * <p><b>Failure behaviour.</b> {@link Builder#build()} fails fast when Redis does not answer at
 * startup. Afterwards Lettuce reconnects by itself (backoff up to {@link #MAX_RECONNECT_DELAY});
 * commands are rejected at once while disconnected and time out after {@link
 * Builder#commandTimeout}, and a failure makes rate limiting, brute-force counting and quotas skip
 * Redis for {@link Builder#breakerOpenFor} (see {@link RateLimitFallback}; brute-force counting
 * falls back to a per-node guard). Verification never fails because of Redis (key lookups never use
 * it). On re-subscription each node drops its local cache, since invalidations may have been
 * missed.
 *
 * <p><b>Security guarantees.</b> Only stored keyed hashes, key ids and client addresses travel to
 * Redis, never raw keys. The revoking node always invalidates its own cache before acknowledging,
 * whatever Redis does. Thread-safe.
 */
public final class KeygateRedis implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeygateRedis.class);

  /** Default key and channel namespace. */
  public static final String DEFAULT_PREFIX = "keygate:";

  /** Default command timeout: a slow Redis must not slow verification down. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(50);

  /** Default time Redis is skipped for rate limiting after a failure. */
  public static final Duration DEFAULT_BREAKER_OPEN_FOR = Duration.ofSeconds(5);

  /** Longest wait between reconnection attempts. */
  public static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(2);

  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_:.{}-]{0,64}");

  private final RedisClient client;
  private final ClientResources resources;
  private final StatefulRedisConnection<String, String> connection;
  private final StatefulRedisPubSubConnection<String, String> pubsub;
  private final RedisInvalidationBus bus;
  private final Builder settings;
  private volatile RedisRateLimiter limiter;
  private volatile List<RedisBruteForce> bruteForce = List.of();
  private volatile RedisQuotas quotas;

  private KeygateRedis(Builder b) {
    this.settings = b;
    this.resources =
        ClientResources.builder()
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(50), MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS))
            .build();
    RedisURI uri = RedisURI.create(b.uri);
    uri.setTimeout(b.connectTimeout); // connection handshake; commands get commandTimeout below
    this.client = RedisClient.create(resources, uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(b.commandTimeout))
            .socketOptions(
                SocketOptions.builder().connectTimeout(b.connectTimeout).keepAlive(true).build())
            .build());
    this.connection = client.connect();
    connection.setTimeout(b.commandTimeout);
    this.pubsub = client.connectPubSub();
    this.bus = new RedisInvalidationBus(connection.async(), b.prefix, b.commandTimeout);
    pubsub.addListener(bus);
    pubsub.setTimeout(b.connectTimeout);
    pubsub.sync().subscribe(bus.channel());
    pubsub.addListener(
        new RedisConnectionStateListener() {
          private volatile boolean lost;

          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> c) {
            lost = true;
            LOG.warn(
                "Redis subscription lost; reconnecting (cache TTL bounds staleness meanwhile)");
          }

          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress a) {
            if (lost) {
              lost = false;
              bus.resubscribed();
            }
          }
        });
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Wires a verifier to Redis: its invalidations are published to the other nodes, theirs drop
   * entries from its cache, and its rate limits are checked on Redis (with the in-process limiter
   * as the {@link RateLimitFallback#LOCAL} fallback).
   */
  public void attach(Verifier verifier) {
    Objects.requireNonNull(verifier, "verifier");
    bus.attach(verifier);
    verifier.invalidationBus(bus);
    CircuitBreaker breaker = new CircuitBreaker(settings.breakerOpenFor, System::nanoTime);
    RedisRateLimiter rl =
        new RedisRateLimiter(
            connection.sync(),
            settings.prefix,
            breaker,
            settings.fallback,
            verifier.localRateLimiter(),
            settings.nodes,
            settings.clock);
    verifier.rateLimitBackend(rl);
    this.limiter = rl;
    if (verifier.bruteForce() != null) {
      List<RedisBruteForce> lanes = new ArrayList<>();
      for (CredentialKind kind : CredentialKind.values()) {
        RedisBruteForce bf =
            new RedisBruteForce(
                connection.sync(),
                kind,
                settings.prefix,
                breaker,
                verifier.bruteForce(kind).policy(),
                settings.nodes,
                settings.clock,
                bus);
        bus.attach(bf);
        verifier.bruteForceBackend(kind, bf);
        lanes.add(bf);
      }
      this.bruteForce = List.copyOf(lanes);
    }
    RedisQuotas q =
        new RedisQuotas(
            connection.sync(), settings.prefix, breaker, settings.fallback, verifier.quotas());
    verifier.quotaBackend(q);
    this.quotas = q;
  }

  /** The key and channel namespace. */
  public String prefix() {
    return settings.prefix;
  }

  /** Invalidations received from other nodes since start. */
  public long invalidationsReceived() {
    return bus.received();
  }

  /** Rate limit checks answered by the fallback since start. */
  public long rateLimitFallbacks() {
    RedisRateLimiter rl = limiter;
    return rl == null ? 0 : rl.fallbacks();
  }

  /** Brute-force failures and quota spends answered by their fallback since start. */
  public long otherFallbacks() {
    RedisQuotas q = quotas;
    return bruteForce.stream().mapToLong(RedisBruteForce::fallbacks).sum()
        + (q == null ? 0 : q.fallbacks());
  }

  /** Whether Redis answers a PING right now. */
  public boolean ping() {
    try {
      return "PONG".equals(connection.sync().ping());
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public void close() {
    try {
      pubsub.close();
      connection.close();
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }

  /** Fail-fast configuration. */
  public static final class Builder {
    private String uri;
    private String prefix = DEFAULT_PREFIX;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration breakerOpenFor = DEFAULT_BREAKER_OPEN_FOR;
    private RateLimitFallback fallback = RateLimitFallback.LOCAL;
    private int nodes = 1;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The clock local block expiry is measured on (default: the system clock, UTC). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /**
     * Redis URI, e.g. {@code redis://host:6379/0} or {@code rediss://:password@host} (required).
     */
    public Builder uri(String u) {
      Objects.requireNonNull(u, "uri");
      if (!u.startsWith("redis://") && !u.startsWith("rediss://")) {
        throw new IllegalArgumentException("Redis URL must start with redis:// or rediss://");
      }
      this.uri = u;
      return this;
    }

    /** Namespace for keys and the channel (default {@value #DEFAULT_PREFIX}). */
    public Builder prefix(String p) {
      Objects.requireNonNull(p, "prefix");
      if (!PREFIX.matcher(p).matches()) {
        throw new IllegalArgumentException(
            "Redis prefix must match " + PREFIX + ", was '" + p + "'");
      }
      this.prefix = p;
      return this;
    }

    /** Longest wait for one command (default 50 ms). */
    public Builder commandTimeout(Duration d) {
      this.commandTimeout = positive(d, "command timeout");
      return this;
    }

    /** Longest wait for a connection (default 2 s). */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = positive(d, "connect timeout");
      return this;
    }

    /** How long rate limiting skips Redis after a failure (default 5 s). */
    public Builder breakerOpenFor(Duration d) {
      this.breakerOpenFor = positive(d, "breaker open period");
      return this;
    }

    /**
     * What rate limiting does while Redis is unreachable (default {@link RateLimitFallback#LOCAL}).
     */
    public Builder fallback(RateLimitFallback f) {
      this.fallback = Objects.requireNonNull(f, "fallback");
      return this;
    }

    /** Nodes in the cluster; the local fallback gives each {@code limit / nodes} (default 1). */
    public Builder nodes(int n) {
      if (n < 1 || n > 10_000) {
        throw new IllegalArgumentException("cluster nodes must be 1..10000, was " + n);
      }
      this.nodes = n;
      return this;
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + d);
      }
      return d;
    }

    /** Connects and subscribes; {@code IllegalStateException} without a URI. */
    public KeygateRedis build() {
      if (uri == null) {
        throw new IllegalStateException("a Redis URI is required");
      }
      return new KeygateRedis(this);
    }
  }
}
