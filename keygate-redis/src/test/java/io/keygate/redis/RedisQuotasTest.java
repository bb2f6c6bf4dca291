package io.keygate.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keygate.core.Keygate;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.lifecycle.KeyPatch;
import io.keygate.core.model.Quota;
import io.keygate.core.testing.ManualClock;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Nodes sharing one store and one real Redis spend one quota balance together. */
class RedisQuotasTest extends SharedStoreNodes {
  /** One of two nodes, with 500 ms command timeouts. */
  private Keygate node(Clock clock, String uri, String prefix, RateLimitFallback fb) {
    return nodeBuilder(redis(uri, prefix, Duration.ofMillis(500), fb, 2)).clock(clock).build();
  }

  private static CreatedKey key(Keygate kg, Quota q) {
    return kg.keys()
        .create(
            new CreateKey(null, "o", "t", List.of("read"), List.of(), List.of(), 30, Map.of(), q),
            Actor.SYSTEM);
  }

  private static Verification verify(Keygate kg, CreatedKey k) {
    return kg.verifier().verify(VerifyRequest.of(k.secret().reveal()));
  }

  private static int spendAll(Keygate kg, CreatedKey k, int tries) {
    int ok = 0;
    for (int i = 0; i < tries; i++) {
      Outcome o = verify(kg, k).outcome();
      assertThat(o).isIn(Outcome.VALID, Outcome.QUOTA_EXCEEDED);
      ok += o == Outcome.VALID ? 1 : 0;
    }
    return ok;
  }

  @Test
  void quotaOfN_acrossTwoNodes_underConcurrentLoad_isAdmittedExactlyN_andFlushedToTheStore()
      throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    Keygate a = node(Clock.systemUTC(), r.uri(), prefix, RateLimitFallback.LOCAL);
    Keygate b = node(Clock.systemUTC(), r.uri(), prefix, RateLimitFallback.LOCAL);
    int n = 300;
    CreatedKey k = key(a, new Quota(n, 0, null, Instant.EPOCH));
    assertThat(TwoNodeLoad.outcomes(a, b, k, 100))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(Outcome.VALID, (long) n, Outcome.QUOTA_EXCEEDED, 800L - n));
    a.flushUsage();
    b.flushUsage();
    assertThat(store.findById(k.record().keyId()).orElseThrow().settings().quota().remaining())
        .as("the store received every admitted spend")
        .isZero();
  }

  @Test
  void adminSetsANewBalance_itReplacesTheSharedOne() throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    Keygate a = node(Clock.systemUTC(), r.uri(), prefix, RateLimitFallback.LOCAL);
    Keygate b = node(Clock.systemUTC(), r.uri(), prefix, RateLimitFallback.LOCAL);
    CreatedKey k = key(a, new Quota(5, 0, null, Instant.EPOCH));
    assertThat(spendAll(a, k, 3) + spendAll(b, k, 5)).isEqualTo(5);
    a.flushUsage();
    b.flushUsage();
    a.keys()
        .update(
            k.record().keyId(),
            new KeyPatch(null, null, null, null, null, null, new Quota(4, 0, null, Instant.EPOCH)),
            Actor.SYSTEM);
    // B learns of the change by pub/sub
    await("B sees the new balance")
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(verify(b, k).outcome()).isEqualTo(Outcome.VALID));
    assertThat(spendAll(a, k, 6)).isEqualTo(3);
    assertThat(verify(b, k).outcome()).isEqualTo(Outcome.QUOTA_EXCEEDED);
  }

  @Test
  void dailyQuota_refillsAtMidnightUtc_onEveryNode() {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    ManualClock clock = new ManualClock(Instant.parse("2026-03-01T23:59:00Z"));
    Keygate a = node(clock, r.uri(), prefix, RateLimitFallback.LOCAL);
    Keygate b = node(clock, r.uri(), prefix, RateLimitFallback.LOCAL);
    CreatedKey k = key(a, new Quota(4, 4, Quota.Refill.DAILY, Instant.EPOCH));
    assertThat(spendAll(a, k, 3) + spendAll(b, k, 3)).isEqualTo(4);
    clock.advance(Duration.ofMinutes(2)); // past midnight
    assertThat(spendAll(b, k, 3) + spendAll(a, k, 3)).isEqualTo(4);
    Verification last = verify(a, k);
    assertThat(last.outcome()).isEqualTo(Outcome.QUOTA_EXCEEDED);
  }

  @Test
  void redisDown_closedFallbackRefuses_localFallbackSpendsTheNodesOwnBalance() throws Exception {
    TestRedis.Dedicated d = TestRedis.startDedicated();
    try {
      Keygate local = node(Clock.systemUTC(), d.uri(), "q:", RateLimitFallback.LOCAL);
      Keygate closed = node(Clock.systemUTC(), d.uri(), "q:", RateLimitFallback.CLOSED);
      CreatedKey k = key(local, new Quota(10, 0, null, Instant.EPOCH));
      assertThat(spendAll(local, k, 2)).isEqualTo(2);
      d.stop();
      assertThat(verify(closed, k).outcome()).isEqualTo(Outcome.QUOTA_EXCEEDED);
      // the node's ledger knows its own 2 spends: 8 left for it
      assertThat(spendAll(local, k, 10)).isEqualTo(8);
    } finally {
      d.stop();
    }
  }
}
