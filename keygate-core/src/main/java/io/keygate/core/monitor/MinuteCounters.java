package io.keygate.core.monitor;

import io.keygate.core.key.KeyTypes;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerificationListener;
import io.keygate.core.verify.VerifyRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-minute verification counts per key and outcome, kept in memory on the hot path and drained in
 * batches to {@link MonitorStore#addUsage}.
 *
 * <p>Only verifications whose key was found are counted (garbage keys have no key to count
 * against), and Keygate's own admin tokens are left out.
 *
 * <p><b>Design.</b> Each key holds its minutes, each minute one {@link LongAdder} per outcome. The
 * key remembers the minute it counted last, so the hot path is one map lookup by key id, one field
 * read and one {@link LongAdder#increment()}: no allocation except on the first request of a key in
 * a minute. A count that races with the drain of its (already finished) minute may be lost; a
 * minute is drained only once it is over, so that is a request still in flight across the minute
 * boundary. A key's holder stays after its minutes are drained (about 100 bytes per key used since
 * start; removing it could drop a count racing with the removal). Thread-safe; a batch the store
 * refused is given back with {@link #restore}.
 */
public final class MinuteCounters implements VerificationListener {
  private static final Outcome[] OUTCOMES = Outcome.values();

  /** One key's counts of one minute, by outcome ordinal; {@code drained} once handed out. */
  private static final class Minute {
    final long start;
    final AtomicReferenceArray<LongAdder> counts = new AtomicReferenceArray<>(OUTCOMES.length);
    volatile boolean drained;

    Minute(long start) {
      this.start = start;
    }

    /** The outcome's counter, created on its first use (most minutes see one or two outcomes). */
    LongAdder count(int outcome) {
      LongAdder a = counts.get(outcome);
      if (a == null) {
        counts.compareAndSet(outcome, null, new LongAdder());
        a = counts.get(outcome);
      }
      return a;
    }

    long sum(int outcome) {
      LongAdder a = counts.get(outcome);
      return a == null ? 0 : a.sum();
    }
  }

  private static final class PerKey {
    final ConcurrentHashMap<Long, Minute> minutes = new ConcurrentHashMap<>(2);
    volatile Minute last;

    Minute minute(long start) {
      Minute m = last;
      if (m == null || m.start != start || m.drained) {
        m = minutes.computeIfAbsent(start, Minute::new);
        last = m;
      }
      return m;
    }
  }

  private final ConcurrentHashMap<String, PerKey> keys = new ConcurrentHashMap<>();

  @Override
  public void onVerification(
      VerifyRequest request, Verification result, Instant at, long elapsedNanos) {
    if (result.key() == null || KeyTypes.ADMIN.equals(result.key().type())) {
      return;
    }
    add(result.key().keyId(), at.toEpochMilli() / 60_000L * 60_000L, result.outcome(), 1);
  }

  private void add(String keyId, long minute, Outcome outcome, long n) {
    PerKey k = keys.get(keyId);
    if (k == null) {
      k = keys.computeIfAbsent(keyId, id -> new PerKey());
    }
    k.minute(minute).count(outcome.ordinal()).add(n);
  }

  /** Removes and returns the counts of minutes that started before {@code before}. */
  public List<UsageCount> drainBefore(Instant before) {
    long limit = before.toEpochMilli();
    List<UsageCount> out = new ArrayList<>();
    for (Map.Entry<String, PerKey> e : keys.entrySet()) {
      PerKey k = e.getValue();
      for (Minute m : k.minutes.values()) {
        if (m.start >= limit) {
          continue;
        }
        m.drained = true; // later counts of this minute go to a fresh holder
        if (k.last == m) {
          k.last = null; // an idle key keeps only its empty holder
        }
        if (!k.minutes.remove(m.start, m)) {
          continue;
        }
        for (int i = 0; i < OUTCOMES.length; i++) {
          long n = m.sum(i);
          if (n > 0) {
            out.add(
                new UsageCount(e.getKey(), Instant.ofEpochMilli(m.start), OUTCOMES[i].code(), n));
          }
        }
      }
    }
    return out;
  }

  /** Gives back counts the store did not take. */
  public void restore(List<UsageCount> batch) {
    for (UsageCount c : batch) {
      add(c.keyId(), c.at().toEpochMilli(), outcome(c.outcome()), c.count());
    }
  }

  private static Outcome outcome(String code) {
    for (Outcome o : OUTCOMES) {
      if (o.code().equals(code)) {
        return o;
      }
    }
    throw new IllegalArgumentException("unknown outcome code " + code);
  }
}
