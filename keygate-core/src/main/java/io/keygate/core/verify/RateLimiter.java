package io.keygate.core.verify;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.VerboseResult;
import io.github.bucket4j.local.LocalBucketBuilder;
import io.keygate.core.model.RateLimit;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * In-process rate limiting: one Bucket4j bucket per key holding one bandwidth per named limit.
 *
 * <p><b>Design.</b> A limit of N per window is a bandwidth of capacity N refilled with N tokens at
 * once at each window boundary, the boundaries aligned to the epoch (so {@code 1000/hour} refills
 * on the hour, UTC). That admits exactly N requests per window, also under concurrency: Bucket4j's
 * lock-free bucket consumes by compare-and-swap of the whole state. All of a key's limits live in
 * the same bucket, so one request either takes a token from every limit or from none — a refused
 * burst limit never drains the hourly one. Bucket4j reads time from the injected {@link Clock}, so
 * tests move a manual clock.
 *
 * <p>Buckets are held in a bounded cache keyed by key id. An idle bucket expires after its longest
 * window, when it would be full again anyway, so that eviction loses nothing; only size-based
 * eviction (more than {@code maxKeys} keys with limits in use at once) can forget a partly used
 * bucket. Limits are per node: behind a load balancer each node enforces them on its own share.
 * Thread-safe.
 */
public final class RateLimiter implements RateLimitBackend {
  /** A key's bucket and the limits it was built from. */
  private static final class Limiter {
    final List<RateLimit> limits;
    final Bucket bucket;
    final long longestWindowNanos;

    Limiter(List<RateLimit> limits, Bucket bucket) {
      this.limits = limits;
      this.bucket = bucket;
      long w = 0;
      for (RateLimit l : limits) {
        w = Math.max(w, l.window().toNanos());
      }
      this.longestWindowNanos = w;
    }
  }

  /**
   * The decision for one request.
   *
   * @param admitted whether a token was taken from every limit
   * @param states each limit after the decision, in the key's order
   * @param retryAfterSeconds when refused, whole seconds (at least 1) until every limit has a token
   */
  public record Decision(boolean admitted, List<LimitState> states, long retryAfterSeconds) {}

  private final Clock clock;
  private final TimeMeter meter;
  private final Cache<String, Limiter> buckets;

  /** A limiter keeping at most {@code maxKeys} buckets, reading time from {@code clock}. */
  public RateLimiter(Clock clock, long maxKeys) {
    this.clock = clock;
    this.meter =
        new TimeMeter() {
          @Override
          public long currentTimeNanos() {
            return clock.millis() * 1_000_000L;
          }

          @Override
          public boolean isWallClockBased() {
            return true;
          }
        };
    this.buckets =
        Caffeine.newBuilder()
            .maximumSize(maxKeys)
            .ticker(meter::currentTimeNanos)
            // Upkeep (expiry reordering, eviction) on the calling thread: handing it to the common
            // pool woke a pool thread every few reads, which cost more than the upkeep itself.
            .executor(Runnable::run)
            .expireAfter(
                new Expiry<String, Limiter>() {
                  @Override
                  public long expireAfterCreate(String k, Limiter v, long now) {
                    return v.longestWindowNanos;
                  }

                  @Override
                  public long expireAfterUpdate(String k, Limiter v, long now, long left) {
                    return v.longestWindowNanos;
                  }

                  @Override
                  public long expireAfterRead(String k, Limiter v, long now, long left) {
                    return v.longestWindowNanos;
                  }
                })
            .build();
  }

  /** Takes one token from each of {@code limits} of {@code keyId}, or none of them. */
  @Override
  public Decision tryAcquire(String keyId, List<RateLimit> limits) {
    Limiter lim = limiter(keyId, limits);
    VerboseResult<ConsumptionProbe> r = lim.bucket.asVerbose().tryConsumeAndReturnRemaining(1);
    ConsumptionProbe probe = r.getValue();
    long[] tokens = r.getDiagnostics().getAvailableTokensPerEachBandwidth();
    long now = clock.millis();
    LimitState[] states = new LimitState[limits.size()];
    for (int i = 0; i < states.length; i++) {
      RateLimit l = limits.get(i);
      states[i] =
          new LimitState(l.name(), l.requests(), Math.max(0, tokens[i]), resetSeconds(l, now));
    }
    long retry = 0;
    if (!probe.isConsumed()) {
      retry = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
    }
    return new Decision(probe.isConsumed(), List.of(states), retry);
  }

  /** Seconds (at least 1) until the window of {@code l} containing {@code nowMillis} ends. */
  static long resetSeconds(RateLimit l, long nowMillis) {
    long w = l.window().toMillis();
    long end = (Math.floorDiv(nowMillis, w) + 1) * w;
    return Math.max(1, (end - nowMillis + 999) / 1000);
  }

  private Limiter limiter(String keyId, List<RateLimit> limits) {
    Limiter cur = buckets.getIfPresent(keyId);
    if (cur != null && (cur.limits == limits || cur.limits.equals(limits))) {
      return cur;
    }
    return buckets
        .asMap()
        .compute(keyId, (k, old) -> old != null && old.limits.equals(limits) ? old : build(limits));
  }

  private Limiter build(List<RateLimit> limits) {
    long now = clock.millis();
    LocalBucketBuilder b = Bucket.builder().withCustomTimePrecision(meter);
    for (RateLimit l : limits) {
      long w = l.window().toMillis();
      Instant firstRefill = Instant.ofEpochMilli((Math.floorDiv(now, w) + 1) * w);
      b.addLimit(
          Bandwidth.builder()
              .capacity(l.requests())
              .refillIntervallyAligned(l.requests(), l.window(), firstRefill)
              .id(l.name())
              .build());
    }
    // Keep the caller's (immutable, per-key cached) list so the next lookup matches by identity.
    return new Limiter(limits, b.build());
  }

  /** Forgets every bucket (tests, or after changing limits wholesale). */
  public void reset() {
    buckets.invalidateAll();
  }
}
