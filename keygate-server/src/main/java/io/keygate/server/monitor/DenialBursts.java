package io.keygate.server.monitor;

import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.monitor.Alert;
import io.keygate.core.verify.Outcome;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;

/**
 * The {@code denial_burst} detector of {@link AnomalyDetector}: {@code insufficient_scope}, {@code
 * ip_not_allowed} or {@code rate_limited} answers for one key reach the threshold within any 60
 * seconds. The hot path counts into a per-key {@link Ring} and queues the alert at most once a
 * minute per key (lock-free); the next tick raises it, not a minute boundary.
 */
final class DenialBursts implements Detector {
  private static final long MINUTE = 60_000L;
  private static final int RING = 6; // 10-second buckets: a sliding 60-second denial count

  private final long threshold;
  private final PendingAlerts queued = new PendingAlerts();

  /** Raises once {@code threshold} denials fall within 60 seconds. */
  DenialBursts(long threshold) {
    this.threshold = threshold;
  }

  /** True for the outcomes that count as denials. */
  static boolean counts(Outcome o) {
    return o == Outcome.INSUFFICIENT_SCOPE
        || o == Outcome.IP_NOT_ALLOWED
        || o == Outcome.RATE_LIMITED;
  }

  /** One key's denials per 10-second bucket. */
  static final class Ring {
    /** Each slot {@code epoch << 32 | count}: lock-free. */
    private final AtomicLongArray slots = new AtomicLongArray(RING);

    private final AtomicLong burstQueuedAt = new AtomicLong(-MINUTE);
  }

  /** {@code key} was refused with {@code o} at {@code at}; counted in its {@code ring}. */
  void denied(Ring ring, ApiKeyRecord key, Outcome o, Instant at) {
    if (reached(ring, at.toEpochMilli())) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("threshold", threshold);
      d.put("within_seconds", 60);
      d.put("last_outcome", o.code());
      queued.add(new AnomalyDetector.Pending(key, Alert.DENIAL_BURST, at, d));
    }
  }

  /**
   * Counts a denial; true for the one call that finds the burst threshold reached (at most once a
   * minute per key). Lock-free, so a hot key refused by many threads at once does not serialise
   * them.
   */
  private boolean reached(Ring r, long nowMs) {
    long epoch = nowMs / 10_000L;
    int slot = (int) (epoch % RING);
    long v;
    long next;
    do {
      v = r.slots.get(slot);
      next = (v >>> 32) == epoch ? v + 1 : (epoch << 32) | 1;
    } while (!r.slots.compareAndSet(slot, v, next));
    long sum = 0;
    for (int i = 0; i < RING; i++) {
      long e = r.slots.get(i);
      if ((e >>> 32) > epoch - RING) {
        sum += e & 0xFFFF_FFFFL;
      }
    }
    long queuedAt = r.burstQueuedAt.get();
    return sum >= threshold
        && nowMs - queuedAt >= MINUTE
        && r.burstQueuedAt.compareAndSet(queuedAt, nowMs);
  }

  @Override
  public int judge(Instant now, Predicate<AnomalyDetector.Pending> raise) {
    return queued.raiseAll(raise);
  }
}
