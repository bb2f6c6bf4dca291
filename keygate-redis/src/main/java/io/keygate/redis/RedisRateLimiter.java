package io.keygate.redis;

import io.keygate.core.model.RateLimit;
import io.keygate.core.verify.LimitState;
import io.keygate.core.verify.RateLimitBackend;
import io.keygate.core.verify.RateLimiter;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate limits shared by every node: one Lua script call per check decides all of a key's limits on
 * Redis.
 *
 * <p><b>Design.</b> The script ({@code rate_limit.lua}) keeps, per key, one hash with the window
 * index and count of each named limit, reads Redis's own clock, and either increments every limit
 * or none (a refused burst limit never drains the hourly one) — one round trip, no compare-and-swap
 * loop, so a hot key costs the same as a cold one and the count is exact however many nodes ask at
 * once (Redis runs scripts one at a time). Windows are aligned to the epoch, as in the in-process
 * {@link RateLimiter}. The script runs as a {@link LuaScript} ({@code EVALSHA}, {@code EVAL} on
 * {@code NOSCRIPT}).
 *
 * <p><b>Small leases.</b> A key whose smallest limit is large takes up to {@link #MAX_LEASE} tokens
 * per call, at most 1 % of that limit per node ({@code limit / (100 × nodes)}), and admits the next
 * requests on this node from them without a round trip. The script grants only what every limit has
 * room for, so the count stays exact upwards (never more than N per window); a lease ends when the
 * earliest of its windows ends (measured, like refusals below, from the send time, so never after
 * the real end), and one call per key refills it at a time. What a lease can cost is tokens this
 * node took and then had no requests for before the window ended: at most 1 % of the limit per
 * node. Keys with smaller limits (under {@code 200 × nodes} per window) take one token per call.
 * {@code RateLimit-Remaining} counts this node's unused lease as remaining.
 *
 * <p><b>Refusals are remembered.</b> When the script refuses, the exhausted limits cannot admit
 * anyone, on any node, before their windows end; the node therefore refuses the key locally until
 * the last of those windows ends, without asking Redis again. The deadline is measured on this
 * node's clock from the moment the request was <em>sent</em> plus the time left that Redis
 * reported, so it never lies after the real window end: the count stays exact (a hot refused key
 * costs a map lookup instead of a round trip, which also spares Redis during an attack).
 *
 * <p><b>Failure.</b> A command that fails or exceeds the command timeout opens the {@link
 * RedisBreaker} (shared with the brute-force counters and quotas of the same node); while it is
 * open, and for that request, the configured {@link RateLimitFallback} decides: per-node in-process
 * buckets sized {@code limit / nodes}, or refusal. Redis is tried again after the breaker's open
 * period, so recovery needs no intervention. Never throws. Thread-safe.
 */
final class RedisRateLimiter implements RateLimitBackend {
  private static final Logger LOG = LoggerFactory.getLogger(RedisRateLimiter.class);
  private static final LuaScript SCRIPT = LuaScript.load("rate_limit.lua");

  private final RedisCommands<String, String> redis;
  private final String keyPrefix;
  private final RedisBreaker.User breaker;
  private final RateLimitFallback fallback;
  private final RateLimiter local;
  private final int nodes;
  private final ConcurrentHashMap<List<RateLimit>, List<RateLimit>> scaled =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Refused> refused = new ConcurrentHashMap<>();
  private final Clock clock;

  /**
   * A key refused until {@code untilMillis} (this node's clock) for the limits it had then.
   *
   * @param ends per limit, when its window ends on this node's clock
   */
  private record Refused(
      List<RateLimit> limits, long untilMillis, List<LimitState> states, long[] ends) {}

  /** Most refused keys remembered at once; expired ones are swept when it is reached. */
  static final int MAX_REFUSED = 100_000;

  /** Most tokens one call takes ahead of use. */
  static final int MAX_LEASE = 16;

  /**
   * Tokens taken from Redis ahead of use for {@code limits}, valid until {@code untilMillis}.
   *
   * @param remaining per limit, Redis's remaining right after the grant
   * @param ends per limit, when its window ends on this node's clock
   * @param left tokens not yet used
   */
  private record Lease(
      List<RateLimit> limits, long untilMillis, long[] remaining, long[] ends, AtomicLong left) {}

  private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();
  private final Object[] refills = new Object[64];

  RedisRateLimiter(
      RedisCommands<String, String> redis,
      String prefix,
      RedisBreaker breaker,
      RateLimitFallback fallback,
      RateLimiter local,
      int nodes,
      Clock clock) {
    this.clock = clock;
    this.redis = redis;
    this.keyPrefix = prefix + "rl:";
    this.breaker =
        breaker.user(
            LOG,
            "rate limit check",
            fallback,
            "Redis answers again; distributed rate limits are back");
    this.fallback = fallback;
    this.local = local;
    this.nodes = nodes;
    for (int i = 0; i < refills.length; i++) {
      refills[i] = new Object();
    }
  }

  @Override
  public RateLimiter.Decision tryAcquire(String keyId, List<RateLimit> limits) {
    Refused known = refused.get(keyId);
    if (known != null) {
      long now = clock.millis();
      if (known.limits() == limits && now < known.untilMillis()) {
        return replay(known, now);
      }
      refused.remove(keyId, known);
    }
    int want = leaseSize(limits);
    if (want == 1) {
      return ask(keyId, limits, 1);
    }
    RateLimiter.Decision d = fromLease(keyId, limits);
    if (d != null) {
      return d;
    }
    synchronized (refills[Math.floorMod(keyId.hashCode(), refills.length)]) {
      d = fromLease(keyId, limits); // another thread may have refilled it meanwhile
      return d != null ? d : ask(keyId, limits, want);
    }
  }

  /** Tokens one call takes for {@code limits}: 1 % of the smallest limit per node, 1..16. */
  private int leaseSize(List<RateLimit> limits) {
    long smallest = Long.MAX_VALUE;
    for (RateLimit l : limits) {
      smallest = Math.min(smallest, l.requests());
    }
    return (int) Math.max(1, Math.min(MAX_LEASE, smallest / (100L * nodes)));
  }

  /** A decision from this node's lease of the key, or null when it has no usable token. */
  private RateLimiter.Decision fromLease(String keyId, List<RateLimit> limits) {
    Lease l = leases.get(keyId);
    if (l == null || l.limits() != limits) {
      return null;
    }
    long now = clock.millis();
    if (now >= l.untilMillis()) {
      leases.remove(keyId, l);
      return null;
    }
    long left = l.left().decrementAndGet();
    if (left < 0) {
      return null;
    }
    LimitState[] states = new LimitState[limits.size()];
    for (int i = 0; i < states.length; i++) {
      RateLimit r = limits.get(i);
      states[i] =
          new LimitState(
              r.name(),
              r.requests(),
              l.remaining()[i] + left,
              Math.max(1, (l.ends()[i] - now + 999) / 1000));
    }
    return new RateLimiter.Decision(true, List.of(states), 0);
  }

  /** One call to Redis taking up to {@code want} tokens: one for this request, the rest leased. */
  private RateLimiter.Decision ask(String keyId, List<RateLimit> limits, int want) {
    return breaker.call(
        () -> {
          long sent = clock.millis();
          List<Object> r = run(keyId, limits, want);
          RateLimiter.Decision d = decision(r, limits);
          long granted = (Long) r.get(0);
          if (!d.admitted()) {
            remember(keyId, limits, d, r, sent);
          } else if (granted > 1) {
            lease(keyId, limits, r, sent, granted - 1);
          }
          return d;
        },
        () ->
            fallback == RateLimitFallback.LOCAL
                ? local.tryAcquire(keyId, scaled.computeIfAbsent(limits, this::scale))
                : refuse(limits));
  }

  private void remember(
      String keyId, List<RateLimit> limits, RateLimiter.Decision d, List<Object> r, long sent) {
    long until = 0;
    long[] ends = windowEnds(limits, r, sent);
    for (int i = 0; i < ends.length; i++) {
      if ((Long) r.get(i + 2) + 1 > limits.get(i).requests()) {
        until = Math.max(until, ends[i]);
      }
    }
    if (refused.size() >= MAX_REFUSED) {
      long now = clock.millis();
      refused.values().removeIf(x -> x.untilMillis() <= now);
      if (refused.size() >= MAX_REFUSED) {
        return;
      }
    }
    refused.put(keyId, new Refused(limits, until, d.states(), ends));
  }

  private void lease(String keyId, List<RateLimit> limits, List<Object> r, long sent, long n) {
    long until = Long.MAX_VALUE;
    long[] ends = windowEnds(limits, r, sent);
    long[] remaining = new long[limits.size()];
    for (int i = 0; i < ends.length; i++) {
      until = Math.min(until, ends[i]);
      remaining[i] = Math.max(0, limits.get(i).requests() - (Long) r.get(i + 2));
    }
    if (leases.size() >= MAX_REFUSED) {
      long now = clock.millis();
      leases.values().removeIf(x -> now >= x.untilMillis());
    }
    leases.put(keyId, new Lease(limits, until, remaining, ends, new AtomicLong(n)));
  }

  /**
   * When each limit's current window ends on this node's clock: the time Redis reported left,
   * counted from when the call was sent, so never after the real end.
   */
  private static long[] windowEnds(List<RateLimit> limits, List<Object> r, long sent) {
    long redisNow = (Long) r.get(1);
    long[] ends = new long[limits.size()];
    for (int i = 0; i < ends.length; i++) {
      long w = limits.get(i).window().toMillis();
      ends[i] = sent + (Math.floorDiv(redisNow, w) + 1) * w - redisNow;
    }
    return ends;
  }

  /** The remembered refusal, with its reset times counted down to {@code now}. */
  private static RateLimiter.Decision replay(Refused k, long now) {
    LimitState[] states = new LimitState[k.states().size()];
    for (int i = 0; i < states.length; i++) {
      LimitState s = k.states().get(i);
      states[i] =
          new LimitState(
              s.name(), s.limit(), s.remaining(), Math.max(1, (k.ends()[i] - now + 999) / 1000));
    }
    return new RateLimiter.Decision(
        false, List.of(states), Math.max(1, (k.untilMillis() - now + 999) / 1000));
  }

  /** Checks answered by the fallback since start, for metrics. */
  long fallbacks() {
    return breaker.fallbacks();
  }

  private List<Object> run(String keyId, List<RateLimit> limits, int want) {
    String[] keys = {keyPrefix + "{" + keyId + "}"};
    String[] args = new String[1 + 3 * limits.size()];
    args[0] = Integer.toString(want);
    for (int i = 0; i < limits.size(); i++) {
      RateLimit l = limits.get(i);
      args[1 + 3 * i] = l.name();
      args[2 + 3 * i] = Long.toString(l.requests());
      args[3 + 3 * i] = Long.toString(l.window().toMillis());
    }
    return SCRIPT.run(redis, keys, args);
  }

  private static RateLimiter.Decision decision(List<Object> r, List<RateLimit> limits) {
    boolean admitted = ((Long) r.get(0)) >= 1L;
    long now = (Long) r.get(1);
    LimitState[] states = new LimitState[limits.size()];
    long retry = 0;
    for (int i = 0; i < states.length; i++) {
      RateLimit l = limits.get(i);
      long used = (Long) r.get(i + 2);
      long reset = resetSeconds(l, now);
      long leased = admitted ? (Long) r.get(0) - 1 : 0; // held by this node: still remaining
      states[i] =
          new LimitState(l.name(), l.requests(), Math.max(0, l.requests() - used) + leased, reset);
      if (!admitted && used + 1 > l.requests()) {
        retry = Math.max(retry, reset);
      }
    }
    return new RateLimiter.Decision(admitted, List.of(states), admitted ? 0 : Math.max(1, retry));
  }

  private static RateLimiter.Decision refuse(List<RateLimit> limits) {
    List<LimitState> states = new ArrayList<>(limits.size());
    for (RateLimit l : limits) {
      states.add(new LimitState(l.name(), l.requests(), 0, 1));
    }
    return new RateLimiter.Decision(false, List.copyOf(states), 1);
  }

  private List<RateLimit> scale(List<RateLimit> limits) {
    List<RateLimit> out = new ArrayList<>(limits.size());
    for (RateLimit l : limits) {
      out.add(new RateLimit(l.name(), Math.max(1, l.requests() / nodes), l.window()));
    }
    return List.copyOf(out);
  }

  private static long resetSeconds(RateLimit l, long nowMillis) {
    long w = l.window().toMillis();
    long end = (Math.floorDiv(nowMillis, w) + 1) * w;
    return Math.max(1, (end - nowMillis + 999) / 1000);
  }
}
