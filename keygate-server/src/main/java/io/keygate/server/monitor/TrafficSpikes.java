package io.keygate.server.monitor;

import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.monitor.Alert;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * The {@code traffic_spike} detector of {@link AnomalyDetector}: the current (or just completed)
 * minute's valid requests exceed {@code max(floor, factor × EWMA)} of the key's earlier minutes
 * (EWMA α = {@value #ALPHA}, idle minutes count as zero), once {@value #WARMUP_MINUTES} minutes
 * were observed on this node. The hot path counts into a per-key {@link Baseline} (a {@link
 * LongAdder}); a minute completed on the hot path is judged there and queued, the current minute at
 * each tick.
 */
final class TrafficSpikes implements Detector {
  /** EWMA smoothing factor per minute. */
  static final double ALPHA = 0.1;

  /** Minutes a key must be observed before spikes are judged. */
  static final int WARMUP_MINUTES = 10;

  static final long MINUTE = 60_000L;

  private final double factor;
  private final long floor;
  private final Clock clock;
  private final Collection<KeyState> states;
  private final ConcurrentLinkedQueue<AnomalyDetector.Pending> completed =
      new ConcurrentLinkedQueue<>();

  /**
   * Judges the keys in {@code states} (a live view): a spike is more than {@code floor} requests
   * and more than {@code factor} times the baseline.
   */
  TrafficSpikes(double factor, long floor, Clock clock, Collection<KeyState> states) {
    this.factor = factor;
    this.floor = floor;
    this.clock = clock;
    this.states = states;
  }

  /** One key's requests in the current minute and its baseline. */
  static final class Baseline {
    volatile long minute;
    final LongAdder current = new LongAdder();
    private double ewma; // guarded by this
    private int observed; // guarded by this

    Baseline(long minute) {
      this.minute = minute;
    }
  }

  /** A valid request of {@code key} in the minute starting at {@code minute} (epoch millis). */
  void counted(Baseline b, ApiKeyRecord key, long minute) {
    if (minute > b.minute) {
      roll(b, key, minute);
    }
    b.current.increment();
  }

  /** Closes the minutes of {@code b} before {@code newMinute}, judging the completed one. */
  private void roll(Baseline b, ApiKeyRecord key, long newMinute) {
    synchronized (b) {
      if (newMinute <= b.minute) {
        return;
      }
      long c = b.current.sumThenReset();
      double threshold = threshold(b);
      if (b.observed >= WARMUP_MINUTES && c > threshold) {
        completed.add(spike(b, key, c, threshold, Instant.ofEpochMilli(b.minute)));
      }
      long gap = (newMinute - b.minute) / MINUTE;
      b.ewma = ALPHA * c + (1 - ALPHA) * b.ewma;
      if (gap > 1) {
        b.ewma *= Math.pow(1 - ALPHA, Math.min(gap - 1, 10_000));
      }
      b.observed = (int) Math.min(Integer.MAX_VALUE, b.observed + gap);
      b.minute = newMinute;
    }
  }

  private double threshold(Baseline b) {
    synchronized (b) {
      return Math.max(floor, factor * b.ewma);
    }
  }

  private AnomalyDetector.Pending spike(
      Baseline b, ApiKeyRecord key, long count, double threshold, Instant minute) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("minute", minute.toString());
    d.put("requests", count);
    d.put("threshold", Math.round(threshold));
    synchronized (b) {
      d.put("baseline_per_minute", Math.round(b.ewma * 100) / 100.0);
    }
    return new AnomalyDetector.Pending(key, Alert.TRAFFIC_SPIKE, clock.instant(), d);
  }

  @Override
  public int judge(Instant now, Predicate<AnomalyDetector.Pending> raise) {
    long minute = now.toEpochMilli() / MINUTE * MINUTE;
    for (KeyState st : states) {
      Baseline b = st.baseline;
      if (minute > b.minute) {
        roll(b, st.key, minute);
      }
      long c = b.current.sum();
      double threshold = threshold(b);
      boolean warm;
      synchronized (b) {
        warm = b.observed >= WARMUP_MINUTES;
      }
      if (warm && c > threshold) {
        completed.add(spike(b, st.key, c, threshold, Instant.ofEpochMilli(b.minute)));
      }
    }
    int raised = 0;
    for (AnomalyDetector.Pending p; (p = completed.poll()) != null; ) {
      raised += raise.test(p) ? 1 : 0;
    }
    return raised;
  }
}
