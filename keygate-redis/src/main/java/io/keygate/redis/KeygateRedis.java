package io.keygate.redis;

import io.keygate.core.verify.BruteForceBackend;
import io.keygate.core.verify.BruteForceGuard;
import io.keygate.core.verify.ClusterBackends;
import io.keygate.core.verify.CredentialKind;
import io.keygate.core.verify.InvalidationBus;
import io.keygate.core.verify.QuotaBackend;
import io.keygate.core.verify.QuotaLedger;
import io.keygate.core.verify.RateLimitBackend;
import io.keygate.core.verify.RateLimiter;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
 * Keygate keygate = Keygate.builder().store(store).pepper(pepper).cluster(redis).build();
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
public final class KeygateRedis implements ClusterBackends, AutoCloseable {
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
  private final Builder settings;
  private final RedisBreaker breaker;

  // What this adapter made for the one verifier it serves (ClusterBackends), in the order the
  // verifier asks: read for metrics; a second verifier is refused.
  private final AtomicReference<RedisInvalidationBus> bus = new AtomicReference<>();
  private final AtomicReference<RedisRateLimiter> limiter = new AtomicReference<>();
  private final AtomicReference<RedisQuotas> quotas = new AtomicReference<>();
  private final Map<CredentialKind, RedisBruteForce> bruteForce = new ConcurrentHashMap<>();

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
            .timeoutOptions(
                TimeoutOptions.builder()
                    .timeoutSource(new CommandTimeouts(b.commandTimeout, b.connectTimeout))
                    .build())
            .socketOptions(
                SocketOptions.builder().connectTimeout(b.connectTimeout).keepAlive(true).build())
            .build());
    this.connection = client.connect();
    connection.setTimeout(b.commandTimeout);
    this.pubsub = client.connectPubSub();
    pubsub.setTimeout(b.connectTimeout);
    this.breaker = new RedisBreaker(b.breakerOpenFor, Clock.systemUTC());
  }

  /**
   * Commands on the hot path time out after the command timeout; subscribing (once per connection,
   * at startup and after a reconnect) gets the connect timeout, so a node on a busy machine does
   * not fail to start because Redis took longer than a hot-path budget to confirm its subscription.
   */
  static final class CommandTimeouts extends TimeoutOptions.TimeoutSource {
    private static final Set<CommandType> SUBSCRIPTION =
        EnumSet.of(
            CommandType.SUBSCRIBE,
            CommandType.UNSUBSCRIBE,
            CommandType.PSUBSCRIBE,
            CommandType.PUNSUBSCRIBE);
    private final long commandNanos;
    private final long subscribeNanos;

    CommandTimeouts(Duration command, Duration subscribe) {
      this.commandNanos = command.toNanos();
      this.subscribeNanos = subscribe.toNanos();
    }

    @Override
    public long getTimeout(RedisCommand<?, ?, ?> command) {
      return command.getType() instanceof CommandType t && SUBSCRIPTION.contains(t)
          ? subscribeNanos
          : commandNanos;
    }

    @Override
    public TimeUnit getTimeUnit() {
      return TimeUnit.NANOSECONDS;
    }
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Subscribes to the invalidation channel and returns the bus: this node's invalidations are
   * published to the other nodes, theirs (and brute-force blocks) are delivered to {@code
   * receiver}. Subscribing fails fast when Redis does not answer.
   *
   * @throws IllegalStateException when a verifier was wired to this adapter already
   */
  @Override
  public InvalidationBus invalidationBus(InvalidationBus.Receiver receiver) {
    Objects.requireNonNull(receiver, "receiver");
    RedisInvalidationBus b =
        new RedisInvalidationBus(
            connection.async(), settings.prefix, settings.commandTimeout, receiver);
    if (!bus.compareAndSet(null, b)) {
      throw new IllegalStateException("this Redis adapter serves one verifier; build another");
    }
    pubsub.addListener(b);
    pubsub.sync().subscribe(b.channel());
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
              b.resubscribed();
            }
          }
        });
    return b;
  }

  /** Rate limits on Redis, with {@code local} as the {@link RateLimitFallback#LOCAL} fallback. */
  @Override
  public RateLimitBackend rateLimits(RateLimiter local) {
    RedisRateLimiter rl =
        new RedisRateLimiter(
            connection.sync(),
            settings.prefix,
            breaker,
            settings.fallback,
            local,
            settings.nodes,
            settings.clock);
    if (!limiter.compareAndSet(null, rl)) {
      throw new IllegalStateException("this Redis adapter serves one verifier; build another");
    }
    return rl;
  }

  /** Quota balances on Redis, with {@code local} as the fallback. */
  @Override
  public QuotaBackend quotas(QuotaLedger local) {
    RedisQuotas q =
        new RedisQuotas(connection.sync(), settings.prefix, breaker, settings.fallback, local);
    if (!quotas.compareAndSet(null, q)) {
      throw new IllegalStateException("this Redis adapter serves one verifier; build another");
    }
    return q;
  }

  /**
   * Brute-force counters of {@code kind} on Redis under {@code local}'s policy, falling back to
   * {@code local}; blocks are announced to the other nodes on the invalidation channel.
   *
   * @throws IllegalStateException before {@link #invalidationBus}, or when asked twice for a kind
   */
  @Override
  public BruteForceBackend bruteForce(CredentialKind kind, BruteForceGuard local) {
    RedisInvalidationBus b = bus.get();
    if (b == null) {
      throw new IllegalStateException("the invalidation bus is made before the brute-force lanes");
    }
    RedisBruteForce bf =
        new RedisBruteForce(
            connection.sync(),
            kind,
            settings.prefix,
            breaker,
            local.policy(),
            settings.nodes,
            settings.clock,
            b);
    if (bruteForce.putIfAbsent(kind, bf) != null) {
      throw new IllegalStateException("this Redis adapter serves one verifier; build another");
    }
    b.attach(bf);
    return bf;
  }

  /** The key and channel namespace. */
  public String prefix() {
    return settings.prefix;
  }

  /** Invalidations received from other nodes since start. */
  public long invalidationsReceived() {
    RedisInvalidationBus b = bus.get();
    return b == null ? 0 : b.received();
  }

  /** Rate limit checks answered by the fallback since start. */
  public long rateLimitFallbacks() {
    RedisRateLimiter rl = limiter.get();
    return rl == null ? 0 : rl.fallbacks();
  }

  /** Brute-force failures and quota spends answered by their fallback since start. */
  public long otherFallbacks() {
    RedisQuotas q = quotas.get();
    return bruteForce.values().stream().mapToLong(RedisBruteForce::fallbacks).sum()
        + (q == null ? 0 : q.fallbacks());
  }

  /**
   * Whether the circuit breaker is skipping Redis (open) or probing it with one call (half-open):
   * rate limits, brute-force counters and quotas are answered by their fallbacks meanwhile.
   */
  public boolean breakerOpen() {
    return breaker.isOpen();
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
