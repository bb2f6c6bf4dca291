package io.keygate.redis;

import io.keygate.core.model.Quota;
import io.keygate.core.verify.QuotaBackend;
import io.keygate.core.verify.QuotaLedger;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quota balances shared by every node: a quota of N is admitted exactly N times across the cluster,
 * however the requests are spread.
 *
 * <p><b>Design.</b> One Lua script call ({@code quota.lua}) per request decides on a hash per key
 * holding the live balance: all or none of the cost, refill at the UTC period boundary (the asking
 * node passes the period start, computed by {@link Quota.Refill}), seeded from the stored quota the
 * node read when Redis holds nothing for the key or the stored quota is newer (an admin set it).
 * Redis is the source of truth for the balance while it answers; the database stays the durable
 * record: every admitted spend is also handed to the node's {@link QuotaLedger} ({@link
 * QuotaLedger#spent}), whose batched flush writes it as before, so the stored balance trails the
 * live one by at most one flush interval of consumption. The hash expires at the end of its period
 * (one-off quotas: after {@link #IDLE_TTL} unused), when the stored balance is exact again.
 *
 * <p><b>Limits.</b> An emptied Redis (restart without persistence, eviction) is re-seeded from the
 * stored balance the node holds, which can re-grant what was consumed since that node last read the
 * key (at most one cache TTL). While Redis cannot be reached the configured {@link
 * RateLimitFallback} decides: {@code local} spends from the node's own ledger (the behaviour
 * without Redis: nodes can overspend by what the others spend meanwhile), {@code closed} refuses
 * with {@code quota_exceeded}. Never throws. Thread-safe.
 */
final class RedisQuotas implements QuotaBackend {
  private static final Logger LOG = LoggerFactory.getLogger(RedisQuotas.class);
  private static final LuaScript SCRIPT = LuaScript.load("quota.lua");

  /** How long the live balance of a quota without refill outlives its last use. */
  static final Duration IDLE_TTL = Duration.ofDays(7);

  /** Kept past the end of a refill period, for nodes whose clock is a little behind. */
  private static final long PERIOD_SLACK_MS = 60_000;

  private final RedisCommands<String, String> redis;
  private final String keyPrefix;
  private final RedisBreaker.User breaker;
  private final RateLimitFallback fallback;
  private final QuotaLedger ledger;

  RedisQuotas(
      RedisCommands<String, String> redis,
      String prefix,
      RedisBreaker breaker,
      RateLimitFallback fallback,
      QuotaLedger ledger) {
    this.redis = redis;
    this.keyPrefix = prefix + "q:";
    this.breaker =
        breaker.user(LOG, "quota check", fallback, "Redis answers again; quotas are shared again");
    this.fallback = fallback;
    this.ledger = ledger;
  }

  @Override
  public long trySpend(String keyId, Quota stored, long cost, long nowMillis) {
    return breaker.call(
        () -> {
          List<Object> r = run(keyId, stored, cost, nowMillis);
          long balance = (Long) r.get(1);
          if ((Long) r.get(0) == 1L) {
            ledger.spent(keyId, stored, cost, nowMillis);
            return balance;
          }
          return -1 - balance;
        },
        () ->
            fallback == RateLimitFallback.LOCAL
                ? ledger.trySpend(keyId, stored, cost, nowMillis)
                : -1L);
  }

  /** Spends answered by the fallback since start, for metrics. */
  long fallbacks() {
    return breaker.fallbacks();
  }

  private List<Object> run(String keyId, Quota q, long cost, long now) {
    long periodStart = 0;
    long ttl = IDLE_TTL.toMillis();
    if (q.refill() != null) {
      periodStart = q.refill().periodStart(now);
      ttl = q.refill().nextPeriodStart(periodStart) - now + PERIOD_SLACK_MS;
    }
    return SCRIPT.run(
        redis,
        new String[] {keyPrefix + "{" + keyId + "}"},
        Long.toString(cost),
        Long.toString(q.refilledAt().toEpochMilli()),
        Long.toString(q.remaining()),
        Long.toString(q.refill() == null ? 0 : q.refillAmount()),
        Long.toString(periodStart),
        Long.toString(ttl));
  }
}
