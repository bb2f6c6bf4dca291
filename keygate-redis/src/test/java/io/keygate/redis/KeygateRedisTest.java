package io.keygate.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.keygate.core.Keygate;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.lifecycle.KeyImporter;
import io.keygate.core.model.RateLimit;
import io.keygate.core.testing.TestKeys;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Two cores sharing one store and one real Redis, as two nodes would. */
class KeygateRedisTest extends SharedStoreNodes {
  private Keygate node(KeygateRedis redis) {
    return nodeBuilder(redis).build();
  }

  /** A client with 200 ms command timeouts. */
  private KeygateRedis redis(String uri, String prefix, RateLimitFallback fb, int nodes) {
    return redis(uri, prefix, Duration.ofMillis(200), fb, nodes);
  }

  private static CreatedKey key(Keygate kg, List<RateLimit> limits) {
    return kg.keys()
        .create(
            new CreateKey(null, "owner_1", "t", List.of("read"), List.of(), limits, 30, Map.of()),
            Actor.SYSTEM);
  }

  private static Verification verify(Keygate kg, CreatedKey k) {
    return kg.verifier().verify(VerifyRequest.of(k.secret().reveal()));
  }

  @Test
  void revoke_onNodeA_isSeenByNodeB() throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    Keygate a = node(redis(r.uri(), prefix, RateLimitFallback.LOCAL, 2));
    KeygateRedis rb = redis(r.uri(), prefix, RateLimitFallback.LOCAL, 2);
    Keygate b = node(rb);
    CreatedKey k = key(a, List.of());
    assertThat(verify(b, k).outcome()).isEqualTo(Outcome.VALID); // now cached on B
    a.keys().revoke(k.record().keyId(), "test", Actor.SYSTEM);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(verify(b, k).outcome()).isEqualTo(Outcome.KEY_REVOKED));
    assertThat(rb.invalidationsReceived()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void revocationAnnouncement_carriesTheState_nodeBAnswersRevokedWithoutReadingTheStore()
      throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    Keygate a = node(redis(r.uri(), prefix, RateLimitFallback.LOCAL, 2));
    Keygate b = node(redis(r.uri(), prefix, RateLimitFallback.LOCAL, 2));
    CreatedKey k = key(a, List.of());
    assertThat(verify(b, k).outcome()).isEqualTo(Outcome.VALID); // cached on B
    // announce a revocation the store does not hold: only the message can make B refuse the key
    a.verifier().invalidateRevoked(k.record().revoked(Instant.now(), "t", Instant.now()));
    await("B marks its copy revoked")
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(verify(b, k).outcome()).isEqualTo(Outcome.KEY_REVOKED));
    b.verifier().invalidateLocal(k.record().hash());
    assertThat(verify(b, k).outcome()).as("the store still says active").isEqualTo(Outcome.VALID);
  }

  @Test
  void importOnNodeA_nodeBAcceptsTheImportedKey_withoutWaitingForItsPeriodicRefresh()
      throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    Keygate a = node(redis(r.uri(), prefix, RateLimitFallback.LOCAL, 2));
    KeygateRedis rb = redis(r.uri(), prefix, RateLimitFallback.LOCAL, 2);
    Keygate b = node(rb);
    String raw = "legacy_" + UUID.randomUUID().toString().replace("-", "");
    assertThat(b.verifier().verify(VerifyRequest.of(raw)).outcome()).isEqualTo(Outcome.INVALID_KEY);
    new KeyImporter(store, a.format(), a.hasher(), a.keys().policy(), a.clock(), SecureRandom::new)
        .importKey(TestKeys.imported(raw, "legacy_", "owner_1", "imported"), Actor.SYSTEM);
    long received = rb.invalidationsReceived();
    a.verifier().importedKeysChanged();
    // nothing else refreshes B's prefixes in this test: only the announcement can
    await("B accepts the imported key")
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(b.verifier().verify(VerifyRequest.of(raw)).outcome())
                    .isEqualTo(Outcome.VALID));
    assertThat(rb.invalidationsReceived()).isGreaterThan(received);
    assertThat(b.verifier().legacyKeys().prefixes()).contains("legacy_");
  }

  @Test
  void rateLimit_sharedAcrossNodes_admitsExactlyTheLimitUnderConcurrency() throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    // generous command timeouts: a slow reply on a loaded machine would use the local fallback
    Keygate a = node(redis(r.uri(), prefix, Duration.ofSeconds(5), RateLimitFallback.LOCAL, 2));
    Keygate b = node(redis(r.uri(), prefix, Duration.ofSeconds(5), RateLimitFallback.LOCAL, 2));
    int n = 300;
    CreatedKey k =
        key(
            a,
            List.of(
                new RateLimit("burst", 100_000, Duration.ofDays(31)),
                new RateLimit("main", n, Duration.ofDays(31))));
    assertThat(TwoNodeLoad.outcomes(a, b, k, 100))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(Outcome.VALID, (long) n, Outcome.RATE_LIMITED, 800L - n));
  }

  /**
   * A refusal is remembered on the node until the exhausted window ends (no round trip per refused
   * request), and never longer: once Redis's clock passes the window end, the next request is
   * admitted.
   */
  @Test
  void refusal_isAnsweredLocallyUntilTheWindowEnds_neverLonger() throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    Keygate a = node(redis(r.uri(), prefix, RateLimitFallback.CLOSED, 1));
    long window = 4_000;
    CreatedKey k = key(a, List.of(new RateLimit("main", 3, Duration.ofMillis(window))));
    try (RedisClient c = RedisClient.create(r.uri());
        StatefulRedisConnection<String, String> conn = c.connect()) {
      // start early in a window: room for the steps
      awaitWindowStart(conn, window, 500);
      for (int i = 0; i < 3; i++) {
        assertThat(verify(a, k).outcome()).isEqualTo(Outcome.VALID);
      }
      Verification refused = verify(a, k);
      assertThat(refused.outcome()).isEqualTo(Outcome.RATE_LIMITED);
      assertThat(((Verification.Rejected) refused).retryAfterSeconds()).isBetween(1L, 4L);
      // Wipe the key's counters on Redis: a node that asked Redis would now be admitted.
      List<String> counters = conn.sync().keys(prefix + "*");
      assertThat(counters).isNotEmpty();
      conn.sync().del(counters.toArray(String[]::new));
      Verification remembered = verify(a, k);
      assertThat(remembered.outcome()).isEqualTo(Outcome.RATE_LIMITED);
      assertThat(((Verification.Rejected) remembered).rateLimits().get(0).remaining()).isZero();
      awaitNextWindow(conn, window);
      assertThat(verify(a, k).outcome()).isEqualTo(Outcome.VALID);
    }
  }

  /**
   * A key with a large limit takes a small lease per call (1 % of the limit per node, at most 16):
   * the next requests are admitted from it without a round trip, the remaining count it reports is
   * exact, and a lease never outlives the window it was taken in.
   */
  @Test
  void largeLimit_leasesTokens_fewerRoundTrips_exactRemaining_leaseEndsWithItsWindow()
      throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    Keygate a = node(redis(r.uri(), prefix, RateLimitFallback.CLOSED, 1));
    long window = 4_000;
    CreatedKey k = key(a, List.of(new RateLimit("main", 10_000, Duration.ofMillis(window))));
    try (RedisClient c = RedisClient.create(r.uri());
        StatefulRedisConnection<String, String> conn = c.connect()) {
      awaitWindowStart(conn, window, 1_000);
      String hash = prefix + "rl:{" + k.record().keyId() + "}";
      Verification first = verify(a, k);
      assertThat(first.outcome()).isEqualTo(Outcome.VALID);
      assertThat(((Verification.Valid) first).rateLimits().get(0).remaining()).isEqualTo(9_999);
      assertThat(conn.sync().hget(hash, "main:c")).isEqualTo("16"); // 1 used + 15 leased
      for (int i = 2; i <= 16; i++) {
        Verification v = verify(a, k);
        assertThat(v.outcome()).isEqualTo(Outcome.VALID);
        assertThat(((Verification.Valid) v).rateLimits().get(0).remaining()).isEqualTo(10_000 - i);
      }
      assertThat(conn.sync().hget(hash, "main:c")).isEqualTo("16"); // served from the lease
      assertThat(verify(a, k).outcome()).isEqualTo(Outcome.VALID);
      assertThat(conn.sync().hget(hash, "main:c")).isEqualTo("32");
      String windowBefore = conn.sync().hget(hash, "main:w");
      awaitNextWindow(conn, window);
      // 15 tokens of the old window are still leased: the next request must not use them.
      assertThat(verify(a, k).outcome()).isEqualTo(Outcome.VALID);
      assertThat(conn.sync().hget(hash, "main:w")).isNotEqualTo(windowBefore);
      assertThat(conn.sync().hget(hash, "main:c")).isEqualTo("16");
    }
  }

  /** Leases keep a shared limit exact across nodes: never above N, all of N when demand is more. */
  @Test
  void largeLimit_leasedAcrossTwoNodes_admitsExactlyTheLimit() throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    // Lease accounting, not timeouts, is under test: generous command timeouts, so that a loaded
    // machine's slow replies do not turn into (correct) fail-closed refusals.
    Keygate a = node(redis(r.uri(), prefix, Duration.ofSeconds(5), RateLimitFallback.CLOSED, 2));
    Keygate b = node(redis(r.uri(), prefix, Duration.ofSeconds(5), RateLimitFallback.CLOSED, 2));
    int n = 6_000; // a lease of 16 per call on each of the two nodes
    CreatedKey k = key(a, List.of(new RateLimit("main", n, Duration.ofDays(31))));
    assertThat(TwoNodeLoad.outcomes(a, b, k, 1_000))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(Outcome.VALID, (long) n, Outcome.RATE_LIMITED, 8_000L - n));
  }

  /**
   * Waits until Redis's clock is at most {@code slackMillis} into a window of {@code window} ms.
   */
  private static void awaitWindowStart(
      StatefulRedisConnection<String, String> conn, long window, long slackMillis) {
    await()
        .atMost(Duration.ofMillis(2 * window))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> redisMillis(conn) % window <= slackMillis);
  }

  /** Waits until Redis's clock has passed the end of the current window of {@code window} ms. */
  private static void awaitNextWindow(StatefulRedisConnection<String, String> conn, long window) {
    long end = (redisMillis(conn) / window + 1) * window;
    await()
        .atMost(Duration.ofMillis(2 * window))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> redisMillis(conn) >= end);
  }

  private static long redisMillis(StatefulRedisConnection<String, String> conn) {
    List<String> t = conn.sync().time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }

  @Test
  void rateLimit_afterScriptFlush_reloadsTheScript() {
    TestRedis r = TestRedis.get();
    Keygate a = node(redis(r.uri(), r.newPrefix(), RateLimitFallback.CLOSED, 1));
    CreatedKey k = key(a, List.of(new RateLimit("main", 5, Duration.ofDays(31))));
    assertThat(verify(a, k).outcome()).isEqualTo(Outcome.VALID);
    try (RedisClient c = RedisClient.create(r.uri());
        StatefulRedisConnection<String, String> conn = c.connect()) {
      conn.sync().scriptFlush();
    }
    assertThat(verify(a, k).outcome()).isEqualTo(Outcome.VALID);
    Verification v = verify(a, k);
    assertThat(v.outcome()).isEqualTo(Outcome.VALID);
    assertThat(((Verification.Valid) v).rateLimits().get(0).remaining()).isEqualTo(2);
  }

  @Test
  void redisDown_localFallbackUsesShareOfLimit_closedRefuses_andBothRecover() throws Exception {
    TestRedis.Dedicated d = TestRedis.startDedicated();
    try {
      KeygateRedis rl = redis(d.uri(), "fb:", RateLimitFallback.LOCAL, 4);
      Keygate local = node(rl);
      Keygate closed = node(redis(d.uri(), "fb:", RateLimitFallback.CLOSED, 4));
      CreatedKey k = key(local, List.of(new RateLimit("main", 40, Duration.ofDays(31))));
      assertThat(verify(local, k).outcome()).isEqualTo(Outcome.VALID);
      d.stop();
      int ok = 0;
      for (int i = 0; i < 40; i++) {
        Outcome o = verify(local, k).outcome();
        assertThat(o).isIn(Outcome.VALID, Outcome.RATE_LIMITED);
        ok += o == Outcome.VALID ? 1 : 0;
      }
      assertThat(ok).isEqualTo(10); // 40 / 4 nodes, from the in-process fallback
      assertThat(verify(closed, k).outcome()).isEqualTo(Outcome.RATE_LIMITED);
      assertThat(rl.rateLimitFallbacks()).isGreaterThanOrEqualTo(40);
      d.start();
      await("closed node recovers")
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(verify(closed, k).outcome()).isEqualTo(Outcome.VALID));
      long before = rl.rateLimitFallbacks();
      Thread.sleep(600); // past the breaker's open period
      verify(local, k);
      assertThat(rl.rateLimitFallbacks()).isEqualTo(before);
    } finally {
      d.stop();
    }
  }

  @Test
  void builder_rejectsBadSettings() {
    assertThatThrownBy(() -> KeygateRedis.builder().uri("http://x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeygateRedis.builder().prefix("bad prefix"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeygateRedis.builder().nodes(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeygateRedis.builder().build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> RateLimitFallback.parse("open"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void oneAdapter_servesOneVerifier_aSecondCoreIsRefusedAtBuild() {
    TestRedis r = TestRedis.get();
    KeygateRedis shared = redis(r.uri(), r.newPrefix(), RateLimitFallback.LOCAL, 1);
    node(shared);
    assertThatThrownBy(() -> node(shared))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("serves one verifier");
  }
}
