package io.keygate.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.store.UsageDelta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class UsageRecorderTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void drain_returnsCountsAndLatestUse_thenNothing() {
    UsageRecorder r = new UsageRecorder();
    r.record("key_a", T.plusSeconds(5));
    r.record("key_a", T.plusSeconds(2));
    r.record("key_b", T);
    Map<String, UsageDelta> d = byKey(r.drain());
    assertThat(d).hasSize(2);
    assertThat(d.get("key_a").count()).isEqualTo(2);
    assertThat(d.get("key_a").lastUsedAt()).isEqualTo(T.plusSeconds(5));
    assertThat(d.get("key_b").count()).isEqualTo(1);
    assertThat(r.drain()).isEmpty();
  }

  @Test
  void restore_givesCountsBackForTheNextDrain() {
    UsageRecorder r = new UsageRecorder();
    r.record("key_a", T);
    List<UsageDelta> first = r.drain();
    r.record("key_a", T.plusSeconds(1));
    r.restore(first);
    Map<String, UsageDelta> d = byKey(r.drain());
    assertThat(d.get("key_a").count()).isEqualTo(2);
    assertThat(d.get("key_a").lastUsedAt()).isEqualTo(T.plusSeconds(1));
  }

  @Test
  void restore_unknownKey_isRecorded() {
    UsageRecorder r = new UsageRecorder();
    r.restore(List.of(new UsageDelta("key_x", 7, T)));
    assertThat(r.drain()).containsExactly(new UsageDelta("key_x", 7, T));
  }

  @Test
  void record_16ThreadsWithInterleavedDrains_losesNoIncrement() throws Exception {
    UsageRecorder r = new UsageRecorder();
    int threads = 16;
    int perThread = 50_000;
    String[] keys = {"key_a", "key_b", "key_c"};
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean done = new AtomicBoolean();
    Map<String, Long> total = new HashMap<>();
    Map<String, Instant> last = new HashMap<>();
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        fs.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < perThread; i++) {
                    r.record(keys[(id + i) % keys.length], T.plusMillis(i));
                  }
                  return null;
                }));
      }
      start.countDown();
      int drains = 0;
      while (!fs.stream().allMatch(Future::isDone)) {
        List<UsageDelta> batch = r.drain();
        // Every other batch "fails" and is given back, as Keygate.flushUsage does.
        if (drains++ % 2 == 0) {
          r.restore(batch);
        } else {
          add(total, last, batch);
        }
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      add(total, last, r.drain());
      assertThat(drains).isPositive();
    } finally {
      done.set(true);
      pool.shutdownNow();
    }
    long expected = (long) threads * perThread;
    assertThat(total.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(expected);
    for (String k : keys) {
      assertThat(total.get(k)).isPositive();
      assertThat(last.get(k)).isEqualTo(T.plusMillis(perThread - 1));
    }
  }

  private static void add(Map<String, Long> total, Map<String, Instant> last, List<UsageDelta> b) {
    for (UsageDelta d : b) {
      total.merge(d.keyId(), d.count(), Long::sum);
      last.merge(d.keyId(), d.lastUsedAt(), (x, y) -> x.isAfter(y) ? x : y);
    }
  }

  private static Map<String, UsageDelta> byKey(List<UsageDelta> ds) {
    Map<String, UsageDelta> m = new HashMap<>();
    for (UsageDelta d : ds) {
      m.put(d.keyId(), d);
    }
    return m;
  }
}
