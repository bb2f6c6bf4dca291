package io.keygate.core.verify;

import io.keygate.core.store.UsageDelta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts successful verifications in memory so the hot path never writes to the database; a
 * background task {@link #drain drains} the counts into the store in one batch.
 *
 * <p>Thread-safe. A delta that fails to reach the store is given back with {@link #restore}, so no
 * usage is lost while the store is down.
 */
public final class UsageRecorder {
  /**
   * One key's count. Counters are never removed (see {@link #drain}), so a caller may keep the one
   * {@link #counter} returned and record into it without the map lookup.
   */
  static final class Counter {
    final LongAdder count = new LongAdder();
    final AtomicLong lastUsedMillis = new AtomicLong();

    /** Records one use at {@code at}. */
    void record(Instant at) {
      count.increment();
      long ms = at.toEpochMilli();
      if (ms > lastUsedMillis.get()) { // at most one CAS per key per millisecond under load
        lastUsedMillis.accumulateAndGet(ms, Math::max);
      }
    }
  }

  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

  /** Records one successful use of {@code keyId} at {@code at}. */
  public void record(String keyId, Instant at) {
    counter(keyId).record(at);
  }

  /** The counter of {@code keyId}, created on first use; the same object for the process's life. */
  Counter counter(String keyId) {
    Counter c = counters.get(keyId);
    return c != null ? c : counters.computeIfAbsent(keyId, k -> new Counter());
  }

  /** Removes and returns everything recorded so far. */
  public List<UsageDelta> drain() {
    List<UsageDelta> out = new ArrayList<>();
    // Counters are reset, never removed: removing one could lose an increment racing with it.
    for (Map.Entry<String, Counter> e : counters.entrySet()) {
      long n = e.getValue().count.sumThenReset();
      if (n > 0) {
        out.add(
            new UsageDelta(e.getKey(), n, Instant.ofEpochMilli(e.getValue().lastUsedMillis.get())));
      }
    }
    return out;
  }

  /** Gives back deltas that could not be stored. */
  public void restore(List<UsageDelta> deltas) {
    for (UsageDelta d : deltas) {
      Counter c = counters.computeIfAbsent(d.keyId(), k -> new Counter());
      c.count.add(d.count());
      c.lastUsedMillis.accumulateAndGet(d.lastUsedAt().toEpochMilli(), Math::max);
    }
  }
}
