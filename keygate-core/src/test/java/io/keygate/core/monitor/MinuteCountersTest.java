package io.keygate.core.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.testing.TestKeys;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MinuteCountersTest {
  private static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
  private final MinuteCounters counters = new MinuteCounters();

  private static ApiKeyRecord key(String id, String type) {
    return TestKeys.key(
        id,
        T0,
        k -> {
          k.type = type;
          k.hash = "hash-" + id;
          k.settings = new KeySettings(null, null, null, null, null);
        });
  }

  private void count(ApiKeyRecord k, Outcome o, Instant at) {
    Verification v =
        o == Outcome.VALID ? new Verification.Valid(k) : new Verification.Rejected(o, k, "no");
    counters.onVerification(VerifyRequest.of("x"), v, at, 1);
  }

  @Test
  void countsPerKeyMinuteAndOutcome_drainsOnlyFinishedMinutes_once() {
    ApiKeyRecord a = key("key_a", "live_secret");
    ApiKeyRecord b = key("key_b", "live_secret");
    count(a, Outcome.VALID, T0.plusSeconds(1));
    count(a, Outcome.VALID, T0.plusSeconds(59));
    count(a, Outcome.RATE_LIMITED, T0.plusSeconds(30));
    count(b, Outcome.VALID, T0.plusSeconds(61)); // next minute
    count(a, Outcome.VALID, T0.plusSeconds(62));

    List<UsageCount> first = counters.drainBefore(T0.plusSeconds(60));
    assertThat(first)
        .containsExactlyInAnyOrder(
            new UsageCount("key_a", T0, "valid", 2),
            new UsageCount("key_a", T0, "rate_limited", 1));
    assertThat(counters.drainBefore(T0.plusSeconds(60))).isEmpty();
    assertThat(counters.drainBefore(T0.plusSeconds(120)))
        .containsExactlyInAnyOrder(
            new UsageCount("key_b", T0.plusSeconds(60), "valid", 1),
            new UsageCount("key_a", T0.plusSeconds(60), "valid", 1));
  }

  @Test
  void unknownKeysAndAdminTokens_areNotCounted() {
    counters.onVerification(
        VerifyRequest.of("x"), new Verification.Rejected(Outcome.INVALID_KEY, null, "no"), T0, 1);
    count(key("key_admin", "admin"), Outcome.VALID, T0);
    assertThat(counters.drainBefore(T0.plusSeconds(3600))).isEmpty();
  }

  @Test
  void restore_givesBackARefusedBatch_addingToNewCounts() {
    ApiKeyRecord a = key("key_a", "live_secret");
    count(a, Outcome.VALID, T0);
    List<UsageCount> batch = counters.drainBefore(T0.plusSeconds(60));
    count(a, Outcome.VALID, T0.plusSeconds(5)); // a straggler of the same minute
    counters.restore(batch);
    assertThat(counters.drainBefore(T0.plusSeconds(60)))
        .containsExactly(new UsageCount("key_a", T0, "valid", 2));
  }

  @Test
  void concurrentCounting_acrossMinutes_losesNothing() throws Exception {
    ApiKeyRecord a = key("key_a", "live_secret");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      fs.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  count(
                      a,
                      i % 2 == 0 ? Outcome.VALID : Outcome.IP_NOT_ALLOWED,
                      T0.plusSeconds(i % 180));
                }
              }));
    }
    for (Future<?> f : fs) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    long total =
        counters.drainBefore(T0.plusSeconds(3600)).stream().mapToLong(UsageCount::count).sum();
    assertThat(total).isEqualTo(80_000);
  }
}
