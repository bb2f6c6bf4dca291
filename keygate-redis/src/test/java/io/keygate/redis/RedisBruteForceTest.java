package io.keygate.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keygate.core.Keygate;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.verify.BruteForceGuard;
import io.keygate.core.verify.CredentialKind;
import io.keygate.core.verify.InvalidationBus;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.SecurityEvents;
import io.keygate.core.verify.VerifyRequest;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Nodes sharing one store and one real Redis count an address's invalid keys together. */
class RedisBruteForceTest extends SharedStoreNodes {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** This test's bus only publishes: nothing subscribes it, so nothing is delivered. */
  private static final InvalidationBus.Receiver NOTHING_RECEIVED =
      new InvalidationBus.Receiver() {
        @Override
        public void invalidateLocal(String hash) {}

        @Override
        public void revokedLocal(String hash, Instant at) {}

        @Override
        public void invalidateAll() {}

        @Override
        public void refreshImported() {}
      };

  private Keygate node(int threshold, KeygateRedis redis) {
    return nodeBuilder(redis)
        .bruteForce(
            new BruteForceGuard.Policy(
                threshold, Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofHours(1)))
        .build();
  }

  /** A client with 500 ms command timeouts and the default (local) fallback. */
  private KeygateRedis redis(String uri, String prefix, int nodes) {
    return redis(uri, prefix, Duration.ofMillis(500), RateLimitFallback.LOCAL, nodes);
  }

  private static Outcome verify(Keygate kg, String key, String ip) {
    return kg.verifier()
        .verify(new VerifyRequest(key, ip, List.of(), null, null, List.of(), 1, null))
        .outcome();
  }

  private static CreatedKey validKey(Keygate kg) {
    return kg.keys()
        .create(
            new CreateKey(null, "o", "t", List.of("read"), List.of(), List.of(), 30, Map.of()),
            Actor.SYSTEM);
  }

  private static String randomKey() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return "sk_test_" + HexFormat.of().formatHex(b);
  }

  private static long blockNotices(Keygate kg) {
    return kg.verifier().securityEvents().drain().stream()
        .filter(n -> n instanceof SecurityEvents.IpBlocked)
        .count();
  }

  @Test
  void invalidKeysSpreadOverTwoNodes_exactlyThresholdInvalidAnswers_thenRateLimitedEverywhere()
      throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    int threshold = 7;
    Keygate a = node(threshold, redis(r.uri(), prefix, 3));
    Keygate b = node(threshold, redis(r.uri(), prefix, 3));
    Keygate c = node(threshold, redis(r.uri(), prefix, 3));
    CreatedKey valid = validKey(a);
    String ip = "203.0.113.7";
    assertThat(verify(c, valid.secret().reveal(), ip)).isEqualTo(Outcome.VALID);

    assertThat(TwoNodeLoad.outcomes(a, b, 10, node -> verify(node, randomKey(), ip)))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(Outcome.INVALID_KEY, (long) threshold, Outcome.RATE_LIMITED, 80L - threshold));
    assertThat(blockNotices(a) + blockNotices(b)).as("one ip.blocked notice").isEqualTo(1);
    // both nodes refuse even a valid key from the address now
    assertThat(verify(a, valid.secret().reveal(), ip)).isEqualTo(Outcome.RATE_LIMITED);
    assertThat(verify(b, valid.secret().reveal(), ip)).isEqualTo(Outcome.RATE_LIMITED);
    // node C never saw this address fail: it learns of the block from the announcement
    await("block announced to node C")
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(verify(c, valid.secret().reveal(), ip)).isEqualTo(Outcome.RATE_LIMITED));
    // other addresses are not affected
    assertThat(verify(c, valid.secret().reveal(), "203.0.113.8")).isEqualTo(Outcome.VALID);
  }

  @Test
  void ipv6_spreadOverOne64AndTwoNodes_isCountedOnce_andBlockedForTheWhole64Everywhere()
      throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    int threshold = 5;
    Keygate a = node(threshold, redis(r.uri(), prefix, 2));
    Keygate b = node(threshold, redis(r.uri(), prefix, 2));
    CreatedKey valid = validKey(a);
    // a fresh address of the same /64 for every guess, in every spelling, alternating nodes
    for (int i = 0; i < threshold; i++) {
      String ip =
          switch (i % 3) {
            case 0 -> "2001:db8:aa:1::" + Integer.toHexString(i + 1);
            case 1 -> "[2001:DB8:AA:1:0:0:0:" + Integer.toHexString(i + 1) + "]";
            default -> "2001:db8:aa:1:" + Integer.toHexString(i + 1) + "::1%eth0";
          };
      assertThat(verify(i % 2 == 0 ? a : b, randomKey(), ip)).as(ip).isEqualTo(Outcome.INVALID_KEY);
    }
    assertThat(verify(b, randomKey(), "2001:db8:aa:1:ffff::9")).isEqualTo(Outcome.RATE_LIMITED);
    await("block known on every node")
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              for (Keygate n : List.of(a, b)) {
                assertThat(verify(n, valid.secret().reveal(), "2001:db8:aa:1::beef"))
                    .isEqualTo(Outcome.RATE_LIMITED);
              }
            });
    assertThat(verify(a, valid.secret().reveal(), "2001:db8:aa:2::1"))
        .as("the next /64")
        .isEqualTo(Outcome.VALID);
  }

  @Test
  void script_blocksAtTheThreshold_andEachFurtherBlockDoubles() throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    RedisClient client = RedisClient.create(r.uri());
    try (var conn = client.connect()) {
      BruteForceGuard.Policy policy =
          new BruteForceGuard.Policy(
              2, Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofSeconds(3));
      RedisBruteForce bf =
          new RedisBruteForce(
              conn.sync(),
              CredentialKind.API_KEY,
              prefix,
              new RedisBreaker(Duration.ofSeconds(1), Clock.systemUTC()),
              policy,
              1,
              Clock.systemUTC(),
              new RedisInvalidationBus(
                  conn.async(), prefix, Duration.ofSeconds(1), NOTHING_RECEIVED));
      String ip = "192.0.2.9";
      assertThat(bf.recordFailure(ip)).isNull();
      BruteForceGuard.Block first = bf.recordFailure(ip);
      assertThat(first.started()).isTrue();
      assertThat(first.duration()).isEqualTo(Duration.ofSeconds(1));
      assertThat(first.attempts()).isEqualTo(2);
      BruteForceGuard.Block during = bf.recordFailure(ip);
      assertThat(during.started()).isFalse();
      assertThat(bf.blockedFor(ip, System.currentTimeMillis())).isEqualTo(1);
      Thread.sleep(1100); // the first block ends
      assertThat(bf.blockedFor(ip, System.currentTimeMillis())).isZero();
      assertThat(bf.recordFailure(ip)).as("counting starts over").isNull();
      assertThat(bf.recordFailure(ip).duration()).isEqualTo(Duration.ofSeconds(2));
      Thread.sleep(2100);
      bf.recordFailure(ip);
      assertThat(bf.recordFailure(ip).duration())
          .as("capped at the largest block")
          .isEqualTo(Duration.ofSeconds(3));
    } finally {
      client.shutdown();
    }
  }

  @Test
  void redisDown_eachNodeCountsItsShareOfTheThreshold_andSharedCountingResumes() throws Exception {
    TestRedis.Dedicated d = TestRedis.startDedicated();
    try {
      KeygateRedis ra = redis(d.uri(), "bf:", 2);
      Keygate a = node(6, ra);
      d.stop();
      List<Outcome> down = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        down.add(verify(a, randomKey(), "198.51.100.1"));
      }
      // 6 / 2 nodes = 3 invalid-key answers from the in-process guard, then blocked
      assertThat(down)
          .containsExactly(
              Outcome.INVALID_KEY,
              Outcome.INVALID_KEY,
              Outcome.INVALID_KEY,
              Outcome.RATE_LIMITED,
              Outcome.RATE_LIMITED);
      assertThat(ra.otherFallbacks())
          .as("blocked requests are refused before counting")
          .isEqualTo(3);
      d.start();
      Thread.sleep(600); // past the breaker's open period
      AtomicInteger address = new AtomicInteger(2);
      await("Redis used again")
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                long before = ra.otherFallbacks();
                assertThat(verify(a, randomKey(), "198.51.100." + address.getAndIncrement()))
                    .isEqualTo(Outcome.INVALID_KEY);
                return ra.otherFallbacks() == before; // counted on Redis again
              });
    } finally {
      d.stop();
    }
  }

  @Test
  void apiKeyGuessesAndAdminTokenFailures_haveSeparateSharedCounters_onEveryNode()
      throws Exception {
    TestRedis r = TestRedis.get();
    String prefix = r.newPrefix();
    int threshold = 5;
    Keygate a = node(threshold, redis(r.uri(), prefix, 2));
    Keygate b = node(threshold, redis(r.uri(), prefix, 2));
    String token = a.adminTokens().create(null, null, "ops", null, Actor.SYSTEM).secret().reveal();
    CreatedKey valid = validKey(a);
    String victim = "198.51.100.77";
    // API-key guessing in the victim's name, spread over both nodes: blocked for API keys ...
    for (int i = 0; i < 2 * threshold; i++) {
      verify(i % 2 == 0 ? a : b, randomKey(), victim);
    }
    assertThat(verify(a, valid.secret().reveal(), victim)).isEqualTo(Outcome.RATE_LIMITED);
    assertThat(verify(b, valid.secret().reveal(), victim)).isEqualTo(Outcome.RATE_LIMITED);
    // ... but its admin still authenticates on both nodes
    for (Keygate n : List.of(a, b)) {
      assertThat(
              n.verifier().authenticate(new VerifyRequest(token, victim, null, null, null)).valid())
          .isTrue();
    }
    // admin-token failures are counted cluster-wide in their own counters
    String attacker = "203.0.113.77";
    List<Outcome> admin = new ArrayList<>();
    for (int i = 0; i < 2 * threshold; i++) {
      Keygate n = i % 2 == 0 ? a : b;
      admin.add(
          n.verifier()
              .authenticate(new VerifyRequest(randomKey(), attacker, null, null, null))
              .outcome());
    }
    assertThat(admin.subList(0, threshold)).containsOnly(Outcome.INVALID_KEY);
    assertThat(admin.subList(threshold, 2 * threshold)).containsOnly(Outcome.RATE_LIMITED);
    for (Keygate n : List.of(a, b)) {
      await("admin block on every node")
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          n.verifier()
                              .authenticate(new VerifyRequest(token, attacker, null, null, null))
                              .outcome())
                      .isEqualTo(Outcome.RATE_LIMITED));
      assertThat(verify(n, valid.secret().reveal(), attacker)).isEqualTo(Outcome.VALID);
    }
    try (var client = new Probe(r.uri())) {
      assertThat(client.exists(prefix + "bf:{" + victim + "}")).isTrue();
      assertThat(client.exists(prefix + "bf:admin:{" + victim + "}")).isFalse();
      assertThat(client.exists(prefix + "bf:admin:{" + attacker + "}")).isTrue();
      assertThat(client.exists(prefix + "bf:{" + attacker + "}")).isFalse();
    }
  }

  /** A plain Redis connection to look at keys. */
  private static final class Probe implements AutoCloseable {
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> conn;

    Probe(String uri) {
      client = RedisClient.create(uri);
      conn = client.connect();
    }

    boolean exists(String key) {
      return conn.sync().exists(key) == 1;
    }

    @Override
    public void close() {
      conn.close();
      client.shutdown();
    }
  }
}
