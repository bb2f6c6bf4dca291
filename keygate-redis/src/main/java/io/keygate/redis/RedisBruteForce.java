package io.keygate.redis;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keygate.core.verify.BruteForceBackend;
import io.keygate.core.verify.BruteForceGuard;
import io.keygate.core.verify.CredentialKind;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brute-force counters shared by every node: an address spreading invalid keys over several nodes
 * is counted once, and blocked on all of them.
 *
 * <p><b>Design.</b> Counting is exact: each invalid-key answer is one Lua script call ({@code
 * brute_force.lua}) on a hash per address, with the same rules as the in-process {@link
 * BruteForceGuard}, so exactly {@code threshold} invalid-key answers precede the block cluster-wide
 * and the failure that starts it is the only one reported as {@link BruteForceGuard.Block#started}
 * (the node that sees it writes the one {@code ip.blocked} notice). The block check on every
 * request ({@link #blockedFor}) does no I/O: it reads a local map of known blocks, filled when this
 * node's own failure call answers "blocked" and when another node announces a block it started over
 * the invalidation channel ({@code !block <ip> <ms>}). So a blocked address presenting a
 * <em>valid</em> key to another node is refused from the moment the announcement arrives (pub/sub
 * latency, well under a millisecond on a LAN); its invalid keys are refused at once everywhere,
 * because counting them asks Redis. A {@code GET} per request would close that sub-millisecond gap
 * at the price of one Redis round trip on every verification, which the hot path cannot afford.
 * Block durations travel as "ms from now", never as instants, so node clocks need not agree.
 *
 * <p><b>Failure.</b> A failed or slow call opens the node's {@link RedisBreaker}; meanwhile an
 * in-process guard counts (threshold divided by the node count, at least 1, as the rate-limit
 * {@link RateLimitFallback#LOCAL} fallback does), and its blocks are honoured next to the shared
 * ones. Never throws. Thread-safe.
 *
 * <p>One instance counts one {@link CredentialKind} under its own key namespace ({@code bf:} for
 * API keys, {@code bf:admin:} for admin tokens) and announces its blocks with its own message type,
 * so API-key guessing never blocks an address for admin authentication, nor the reverse.
 *
 * <p><b>Security guarantees.</b> Only client addresses reach Redis, never keys.
 */
final class RedisBruteForce implements BruteForceBackend {
  private static final Logger LOG = LoggerFactory.getLogger(RedisBruteForce.class);
  private static final LuaScript SCRIPT = LuaScript.load("brute_force.lua");

  /** Most blocked addresses remembered locally. */
  static final long MAX_KNOWN_BLOCKS = 100_000;

  private final RedisCommands<String, String> redis;
  private final CredentialKind kind;
  private final String keyPrefix;
  private final RedisBreaker.User breaker;
  private final BruteForceGuard.Policy policy;
  private final BruteForceGuard local;
  private final Clock clock;
  private final RedisInvalidationBus bus;
  private final Cache<String, Long> blockedUntil;

  RedisBruteForce(
      RedisCommands<String, String> redis,
      CredentialKind kind,
      String prefix,
      RedisBreaker breaker,
      BruteForceGuard.Policy policy,
      int nodes,
      Clock clock,
      RedisInvalidationBus bus) {
    this.redis = redis;
    this.kind = kind;
    this.keyPrefix = prefix + (kind == CredentialKind.ADMIN_TOKEN ? "bf:admin:" : "bf:");
    this.breaker =
        breaker.user(
            LOG,
            "Redis brute-force count failed ({}); counting per node until Redis answers",
            "Redis answers again; brute-force counters are shared again");
    this.policy = policy;
    this.clock = clock;
    this.bus = bus;
    this.local =
        new BruteForceGuard(
            new BruteForceGuard.Policy(
                Math.max(1, policy.threshold() / nodes),
                policy.window(),
                policy.block(),
                policy.maxBlock()),
            clock,
            MAX_KNOWN_BLOCKS);
    this.blockedUntil =
        Caffeine.newBuilder()
            .maximumSize(MAX_KNOWN_BLOCKS)
            .expireAfterWrite(policy.maxBlock())
            .build();
  }

  @Override
  public long blockedFor(String ip, long nowMillis) {
    Long until = blockedUntil.getIfPresent(ip);
    long shared = until != null && nowMillis < until ? seconds(until - nowMillis) : 0;
    return Math.max(shared, local.blockedFor(ip, nowMillis));
  }

  @Override
  public BruteForceGuard.Block recordFailure(String ip) {
    return breaker.call(
        () -> {
          List<Object> r =
              SCRIPT.run(
                  redis,
                  new String[] {keyPrefix + "{" + ip + "}"},
                  Integer.toString(policy.threshold()),
                  Long.toString(policy.window().toMillis()),
                  Long.toString(policy.block().toMillis()),
                  Long.toString(policy.maxBlock().toMillis()));
          return decide(ip, (Long) r.get(0), (Long) r.get(1), (Long) r.get(2));
        },
        () -> local.recordFailure(ip));
  }

  /** The credentials this instance counts. */
  CredentialKind kind() {
    return kind;
  }

  /** Called for a block another node started (its announcement on the invalidation channel). */
  void blockedElsewhere(String ip, long millis) {
    if (millis > 0) {
      blockedUntil.put(ip, clock.millis() + Math.min(millis, policy.maxBlock().toMillis()));
    }
  }

  /** Failures counted by the in-process fallback since start, for metrics. */
  long fallbacks() {
    return breaker.fallbacks();
  }

  private BruteForceGuard.Block decide(String ip, long state, long millis, long failures) {
    if (state == 0) {
      return null;
    }
    blockedUntil.put(ip, clock.millis() + millis);
    if (state == 1) {
      bus.publishBlock(kind, ip, millis);
      Duration d = Duration.ofMillis(millis);
      return new BruteForceGuard.Block(true, d.toSeconds(), (int) failures, d);
    }
    return new BruteForceGuard.Block(false, seconds(millis), (int) failures, null);
  }

  private static long seconds(long millis) {
    return Math.max(1, (millis + 999) / 1000);
  }
}
