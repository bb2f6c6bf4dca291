package io.keygate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import io.keygate.core.verify.LegacyKeys;
import io.keygate.redis.TestRedis;
import io.keygate.server.KeygateServer;
import io.keygate.server.http.Json;
import io.lettuce.core.RedisClient;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on real PostgreSQL and Redis: node A in this JVM, node B a separate {@code keygate
 * serve} process. Revocation on A must reach B over Redis (measured), and a global rate limit must
 * hold across both under concurrent load.
 */
class TwoNodeClusterTest {
  static final int REVOCATIONS = Integer.getInteger("keygate.cluster.revocations", 1000);

  /** A generous command timeout: a loaded 2-core test machine is not a production network. */
  static final Map<String, String> NODE_ENV =
      Map.of("KEYGATE_CLUSTER_NODES", "2", "KEYGATE_REDIS_TIMEOUT_MS", "2000");

  private static Cluster cluster;
  private static KeygateServer a;
  private static int portB;
  private static String admin;
  private static String prefix;
  private static String redisUri;

  @BeforeAll
  static void start() throws Exception {
    TestRedis redis = TestRedis.get();
    prefix = redis.newPrefix();
    redisUri = redis.uri();
    cluster = Cluster.onTestPostgres();
    a = cluster.startInProcess(redis.uri(), prefix, NODE_ENV);
    portB = cluster.startProcess(redis.uri(), prefix, NODE_ENV);
    admin = Cluster.adminToken(a);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static CreatedKey key(List<RateLimit> limits) {
    return a.keygate()
        .keys()
        .create(
            new CreateKey(
                null, "owner_c", "cluster", List.of("read"), List.of(), limits, 30, Map.of()),
            Actor.SYSTEM);
  }

  private static String code(HttpResponse<String> r) {
    return r.headers().firstValue("X-Keygate-Error").orElse(r.statusCode() == 200 ? "valid" : "?");
  }

  @Test
  void revokeOnNodeA_nodeBAnswersKeyRevoked_propagationMeasured() throws Exception {
    long[] nanos = new long[REVOCATIONS];
    long[] published = new long[REVOCATIONS];
    // a listener on the invalidation channel in this JVM: when the message is out, to tell pub/sub
    // delivery apart from node B's own handling in the figures
    Map<String, Long> seen = new ConcurrentHashMap<>();
    RedisClient client = RedisClient.create(redisUri);
    StatefulRedisPubSubConnection<String, String> sub = client.connectPubSub();
    sub.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String channel, String message) {
            long now = System.nanoTime();
            for (String part : message.split(" ")) {
              seen.putIfAbsent(part, now);
            }
          }
        });
    sub.sync().subscribe(prefix + "invalidate");
    try {
      for (int i = 0; i < REVOCATIONS; i++) {
        CreatedKey k = key(List.of());
        String raw = k.secret().reveal();
        assertThat(Cluster.authz(portB, raw).statusCode()).isEqualTo(200); // cached on B now
        HttpResponse<String> rev =
            Cluster.post(
                a.port(),
                "/v1/keys/" + k.record().keyId() + "/revoke",
                admin,
                "{\"reason\":\"t\"}");
        long revoked = System.nanoTime();
        assertThat(rev.statusCode()).isEqualTo(200);
        long deadline = revoked + TimeUnit.SECONDS.toNanos(20);
        while (true) {
          HttpResponse<String> r = Cluster.authz(portB, raw);
          if (r.statusCode() != 200) {
            assertThat(code(r)).isEqualTo("key_revoked");
            nanos[i] = System.nanoTime() - revoked;
            break;
          }
          assertThat(System.nanoTime()).as("revocation reached node B").isLessThan(deadline);
        }
        Long at = seen.remove(k.record().hash());
        published[i] = at == null ? Long.MAX_VALUE : at - revoked;
      }
    } finally {
      sub.close();
      client.shutdown();
    }
    Arrays.sort(nanos);
    Arrays.sort(published);
    String line =
        String.format(
            "revocation propagation A->B over %d revocations: p50 %.2f ms, p99 %.2f ms, max %.2f"
                + " ms; message on the channel (seen by a test subscriber, relative to the revoke"
                + " call returning): p50 %.2f ms, p99 %.2f ms",
            REVOCATIONS,
            nanos[REVOCATIONS / 2] / 1e6,
            nanos[(int) Math.ceil(REVOCATIONS * 0.99) - 1] / 1e6,
            nanos[REVOCATIONS - 1] / 1e6,
            published[REVOCATIONS / 2] / 1e6,
            published[(int) Math.ceil(REVOCATIONS * 0.99) - 1] / 1e6);
    System.out.println("[scale-out] " + line);
    record("propagation", line);
  }

  @Test
  void globalLimit_acrossTwoNodes_underConcurrentLoad_admitsAtMostNAndAtLeast98Percent()
      throws Exception {
    waitIfNearDayBoundary();
    int n = 400;
    int demand = 1200;
    CreatedKey k = key(List.of(new RateLimit("global", n, Duration.ofDays(1))));
    String raw = k.secret().reveal();
    Map<Integer, Integer> statuses = load(demand, port -> Cluster.authz(port, raw).statusCode());
    int admitted = statuses.getOrDefault(200, 0);
    int limited = statuses.getOrDefault(429, 0);
    int other = demand - admitted - limited;
    String line =
        String.format(
            "global limit %d/day across 2 nodes, %d concurrent requests: admitted %d, rate_limited"
                + " %d, other %d",
            n, demand, admitted, limited, other);
    System.out.println("[scale-out] " + line);
    record("admission", line);
    assertThat(other).as("statuses other than 200 and 429: %s", statuses).isZero();
    assertThat(admitted).isLessThanOrEqualTo(n).isGreaterThanOrEqualTo((int) (0.98 * n));
  }

  /** {@code /v1/authz} with the key in {@code X-API-Key}, from client address {@code ip}. */
  private static HttpResponse<String> authzFrom(int port, String key, String ip) throws Exception {
    return Cluster.get(port, "/v1/authz", Map.of("X-API-Key", key, "X-Forwarded-For", ip));
  }

  /** Runs {@code total} calls of {@code call} on 16 threads, half against each node. */
  private static Map<Integer, Integer> load(int total, CallOnNode call) throws Exception {
    Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      int port = t % 2 == 0 ? a.port() : portB;
      fs.add(
          pool.submit(
              () -> {
                while (next.getAndIncrement() < total) {
                  statuses.merge(call.status(port), 1, Integer::sum);
                }
                return null;
              }));
    }
    for (Future<?> f : fs) {
      f.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();
    return statuses;
  }

  @FunctionalInterface
  private interface CallOnNode {
    int status(int port) throws Exception;
  }

  @Test
  void bruteForce_randomKeysSpreadOverBothNodes_exactlyThreshold401s_then429OnBoth()
      throws Exception {
    int threshold = a.keygate().verifier().bruteForce().policy().threshold();
    String ip = "203.0.113." + (1 + new SecureRandom().nextInt(250));
    Map<Integer, Integer> statuses =
        load(
            threshold * 5,
            port -> authzFrom(port, "sk_test_" + UUID.randomUUID(), ip).statusCode());
    String line =
        String.format(
            "brute force: %d random keys from one address over 2 nodes, threshold %d: %s",
            threshold * 5, threshold, statuses);
    System.out.println("[scale-out] " + line);
    assertThat(statuses).containsOnlyKeys(401, 429);
    assertThat(statuses.get(401)).isEqualTo(threshold);
    String valid = key(List.of()).secret().reveal();
    assertThat(authzFrom(a.port(), valid, ip).statusCode()).isEqualTo(429);
    assertThat(authzFrom(portB, valid, ip).statusCode()).isEqualTo(429);
    // an address no test guesses from (the admin-token test picks one in 198.51.100.0/24)
    assertThat(authzFrom(portB, valid, "192.0.2.77").statusCode()).isEqualTo(200);
  }

  @Test
  void adminTokens_acrossTwoNodes_revokedOnA_refusedOnB_lockoutCountedApartFromApiKeyGuessing()
      throws Exception {
    var created =
        Json.MAPPER.readTree(
            Cluster.post(a.port(), "/v1/admin-tokens", admin, "{\"scopes\":[\"keys:read\"]}")
                .body());
    String token = created.path("token").asText();
    String id = created.path("key_id").asText();
    Map<String, String> bearer = Map.of("Authorization", "Bearer " + token);
    assertThat(Cluster.get(portB, "/v1/keys", bearer).statusCode()).isEqualTo(200); // cached on B
    // neither node lets the key routes touch it
    for (int port : new int[] {a.port(), portB}) {
      assertThat(Cluster.post(port, "/v1/keys/" + id + "/revoke", admin, "{}").statusCode())
          .isEqualTo(404);
    }
    // API-key guessing "from" an admin's address over both nodes does not lock the admin out
    int threshold = a.keygate().verifier().bruteForce().policy().threshold();
    String adminIp = "198.51.100." + (1 + new SecureRandom().nextInt(250));
    for (int i = 0; i < threshold + 5; i++) {
      authzFrom(i % 2 == 0 ? a.port() : portB, "sk_test_" + UUID.randomUUID(), adminIp);
    }
    for (int port : new int[] {a.port(), portB}) {
      assertThat(
              Cluster.get(
                      port,
                      "/v1/keys",
                      Map.of("Authorization", "Bearer " + token, "X-Forwarded-For", adminIp))
                  .statusCode())
          .isEqualTo(200);
    }
    assertThat(
            Cluster.post(a.port(), "/v1/admin-tokens/" + id + "/revoke", admin, "{}").statusCode())
        .isEqualTo(200);
    await("revocation reaches node B")
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(Cluster.get(portB, "/v1/keys", bearer).statusCode()).isEqualTo(401));
  }

  @Test
  void quota_acrossTwoNodes_underConcurrentLoad_admittedExactlyN_andStored() throws Exception {
    int n = 300;
    CreatedKey k =
        a.keygate()
            .keys()
            .create(
                new CreateKey(
                    null,
                    "owner_c",
                    "quota",
                    List.of("read"),
                    List.of(),
                    List.of(),
                    30,
                    Map.of(),
                    new Quota(n, 0, null, Instant.EPOCH)),
                Actor.SYSTEM);
    String raw = k.secret().reveal();
    Map<Integer, Integer> statuses = load(3 * n, port -> Cluster.authz(port, raw).statusCode());
    String line =
        String.format("quota %d across 2 nodes, %d concurrent requests: %s", n, 3 * n, statuses);
    System.out.println("[scale-out] " + line);
    assertThat(statuses).containsOnlyKeys(200, 429);
    assertThat(statuses.get(200)).isEqualTo(n);
    // both nodes flush every 500 ms
    await("consumption flushed to PostgreSQL")
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(storedQuota(k.record().keyId())).isEqualTo(0));
  }

  private static long storedQuota(String keyId) throws Exception {
    try (var c = cluster.connect();
        var st = c.prepareStatement("SELECT quota_remaining FROM api_keys WHERE key_id = ?")) {
      st.setString(1, keyId);
      try (var rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void importOnNodeA_nodeBAcceptsTheKeyOnItsNextVerify() throws Exception {
    String raw = "acme_" + UUID.randomUUID().toString().replace("-", "");
    HttpResponse<String> imported =
        Cluster.post(
            a.port(),
            "/v1/keys/import",
            admin,
            "{\"sha256\":\""
                + LegacyKeys.sha256Hex(raw)
                + "\",\"prefix\":\"acme_\",\"owner_id\":\"cust_1\",\"name\":\"m\","
                + "\"scopes\":[\"read\"]}");
    assertThat(imported.body()).contains("\"imported\":1");
    // B re-reads imported prefixes every 30 s by itself; the announcement makes it at once
    // a miss counts against its address for the brute-force guard: every poll gets its own
    AtomicInteger poll = new AtomicInteger();
    await("B accepts the imported key")
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              int i = poll.getAndIncrement();
              return authzFrom(portB, raw, "10.77." + i / 250 + "." + (1 + i % 250)).statusCode()
                  == 200;
            });
  }

  /** Windows are aligned to the epoch: a test straddling midnight UTC would see two windows. */
  private static void waitIfNearDayBoundary() throws InterruptedException {
    long msOfDay = Instant.now().toEpochMilli() % 86_400_000L;
    if (msOfDay > 86_400_000L - 180_000L) {
      Thread.sleep(86_400_000L - msOfDay + 1000);
    }
  }

  static void record(String name, String line) throws IOException {
    Path out = Path.of("target", "scale-out");
    Files.createDirectories(out);
    Files.writeString(out.resolve(name + ".txt"), line + System.lineSeparator());
  }
}
