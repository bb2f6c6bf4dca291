package io.keygate.core.monitor;

import io.keygate.core.key.KeyTypes;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerificationListener;
import io.keygate.core.verify.VerifyRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-minute verification counts per key and outcome, kept in memory on the hot path and drained in
 * batches to {@link MonitorStore#addUsage}.
 *
 * <p>Only verifications whose key was found are counted (garbage keys have no key to count
 * against), and Keygate's own admin tokens are left out. The hot path does one map lookup with a
 * small record key and one {@link LongAdder#increment()}. Thread-safe; a batch the store refused is
 * given back with {@link #restore}.
 */
public final class MinuteCounters implements VerificationListener {
  private record Slot(String keyId, long minute, String outcome) {}

  private final ConcurrentHashMap<Slot, LongAdder> counts = new ConcurrentHashMap<>();

  @Override
  public void onVerification(
      VerifyRequest request, Verification result, Instant at, long elapsedNanos) {
    if (result.key() == null || KeyTypes.ADMIN.equals(result.key().type())) {
      return;
    }
    long minute = at.toEpochMilli() / 60_000L * 60_000L;
    counts
        .computeIfAbsent(
            new Slot(result.key().keyId(), minute, result.outcome().code()), s -> new LongAdder())
        .increment();
  }

  /** Removes and returns the counts of minutes that started before {@code before}. */
  public List<UsageCount> drainBefore(Instant before) {
    long limit = before.toEpochMilli();
    List<UsageCount> out = new ArrayList<>();
    Iterator<Map.Entry<Slot, LongAdder>> it = counts.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Slot, LongAdder> e = it.next();
      Slot s = e.getKey();
      if (s.minute() < limit) {
        it.remove();
        long n = e.getValue().sum();
        if (n > 0) {
          out.add(new UsageCount(s.keyId(), Instant.ofEpochMilli(s.minute()), s.outcome(), n));
        }
      }
    }
    return out;
  }

  /** Gives back counts the store did not take. */
  public void restore(List<UsageCount> batch) {
    for (UsageCount c : batch) {
      counts
          .computeIfAbsent(
              new Slot(c.keyId(), c.at().toEpochMilli(), c.outcome()), s -> new LongAdder())
          .add(c.count());
    }
  }
}
