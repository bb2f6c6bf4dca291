package io.keygate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.redis.TestRedis;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.ClusterConfig;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Revocation reaches every node within 1 s through the database's change feed, whatever Redis does:
 * two nodes on real PostgreSQL, node A revokes over HTTP, node B (which has the key cached, and
 * would serve it for its 30–60 s cache TTL otherwise) must refuse it within 1 s, for each of
 * {@value #DEFAULT_REVOCATIONS} revocations (system property {@code keygate.cluster.revocations}),
 * with no Redis at all, with Redis up but node B's connection to it cut by a TCP proxy, and with
 * Redis stopped. Redis up is measured too, for the comparison in docs/benchmarks.md. Each scenario
 * prints p50/p99/max propagation (revoke call returned → B's first refusal) and writes it to {@code
 * target/scale-out/propagation-<scenario>.txt}.
 */
class RevocationWithoutRedisTest {
  static final int DEFAULT_REVOCATIONS = 1000;
  static final int REVOCATIONS =
      Integer.getInteger("keygate.cluster.revocations", DEFAULT_REVOCATIONS);

  /**
   * Revocations in flight at once (each measured on its own), so 1,000 take seconds, not minutes.
   */
  static final int PARALLEL = Integer.getInteger("keygate.cluster.parallel", 4);

  /** The guarantee: a revocation is refused on every node within this. */
  static final Duration DEADLINE = Duration.ofSeconds(1);

  /**
   * Each revocation starts after a random pause below this (longer than the poll interval): a loop
   * that revoked the moment B answered would start just after B's poll every time and measure
   * nearly a whole interval each time.
   */
  static final long ARRIVAL_SPREAD_MILLIS = 300;

  static final Map<String, String> NODE_ENV = Map.of("KEYGATE_CLUSTER_NODES", "2");

  private Cluster cluster;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void newCluster() throws Exception {
    cluster = Cluster.onTestPostgres();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    cluster.close();
  }

  @Test
  void noRedisAtAll_everyRevocationIsRefusedOnTheOtherNodeWithinOneSecond() throws Exception {
    KeygateServer a = cluster.startInProcess(null, null, NODE_ENV);
    KeygateServer b = cluster.startInProcess(null, null, NODE_ENV);
    assertThat(a.redis()).isNull();
    assertThat(b.redis()).isNull();

    revokeAllOnAAndAwaitOnB("no-redis", a, b);

    assertThat(metric(b, "keygate_key_changes_applied_total"))
        .as("B applied every revocation from the feed")
        .isGreaterThanOrEqualTo(REVOCATIONS);
    assertThat(metric(b, "keygate_key_changes_cache_drops_total")).isZero();
    assertThat(metric(a, "keygate_key_changes_applied_total")).as("A skips its own").isZero();
  }

  /** A sample's value on a node's {@code /metrics}. */
  private static double metric(KeygateServer node, String name) throws Exception {
    String body = Cluster.get(node.port(), "/metrics", Map.of()).body();
    return body.lines()
        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in /metrics"));
  }

  @Test
  void noRedisAtAll_pollingOnly_everyRevocationIsRefusedOnTheOtherNodeWithinOneSecond()
      throws Exception {
    Map<String, String> env = new HashMap<>(NODE_ENV);
    env.put("KEYGATE_CHANGE_LISTEN", "false");
    KeygateServer a = cluster.startInProcess(null, null, env);
    KeygateServer b = cluster.startInProcess(null, null, env);

    revokeAllOnAAndAwaitOnB("no-redis-polling-only", a, b);
  }

  @Test
  void redisUp_butNodeBsPubSubConnectionCut_everyRevocationIsRefusedOnBWithinOneSecond()
      throws Exception {
    TestRedis redis = TestRedis.get();
    String prefix = redis.newPrefix();
    TcpProxy proxy = new TcpProxy(URI.create(redis.uri()).getPort());
    open.add(proxy);
    KeygateServer a = cluster.startInProcess(redis.uri(), prefix, NODE_ENV);
    KeygateServer b = cluster.startInProcess("redis://127.0.0.1:" + proxy.port(), prefix, NODE_ENV);
    String admin = Cluster.adminToken(a);
    // the fast path works before the cut: B hears A's announcement over Redis
    CreatedKey before = key(a);
    assertThat(Cluster.authz(b.port(), before.secret().reveal()).statusCode()).isEqualTo(200);
    long heard = b.redis().invalidationsReceived();
    revoke(a, admin, before);
    await().atMost(Duration.ofSeconds(10)).until(() -> b.redis().invalidationsReceived() > heard);

    proxy.cut();
    long afterCut = b.redis().invalidationsReceived();
    revokeAllOnAAndAwaitOnB("redis-subscription-cut", a, b);

    assertThat(b.redis().invalidationsReceived())
        .as("nothing reached B over Redis while cut: the database carried every revocation")
        .isEqualTo(afterCut);
    assertThat(proxy.accepted()).as("B kept trying to reconnect").isGreaterThan(1);
  }

  @Test
  void redisStopped_everyRevocationIsRefusedOnTheOtherNodeWithinOneSecond() throws Exception {
    TestRedis.Dedicated redis = TestRedis.startDedicated();
    open.add(redis::stop);
    String prefix = "kg:" + Long.toHexString(System.nanoTime()) + ":";
    KeygateServer a = cluster.startInProcess(redis.uri(), prefix, NODE_ENV);
    KeygateServer b = cluster.startInProcess(redis.uri(), prefix, NODE_ENV);
    assertThat(b.redis()).isNotNull();
    long heard = b.redis().invalidationsReceived();

    redis.stop();
    revokeAllOnAAndAwaitOnB("redis-stopped", a, b);

    assertThat(b.redis().invalidationsReceived()).isEqualTo(heard);
  }

  @Test
  void redisUp_propagationMeasuredForComparison() throws Exception {
    TestRedis redis = TestRedis.get();
    String prefix = redis.newPrefix();
    KeygateServer a = cluster.startInProcess(redis.uri(), prefix, NODE_ENV);
    KeygateServer b = cluster.startInProcess(redis.uri(), prefix, NODE_ENV);

    revokeAllOnAAndAwaitOnB("redis-up", a, b);

    // most arrive over Redis; on a loaded machine a publish can miss its command timeout, and
    // then the change feed carries that revocation (still within the deadline)
    assertThat(b.redis().invalidationsReceived()).as("Redis carried revocations").isPositive();
  }

  private static CreatedKey key(KeygateServer node) {
    return node.keygate()
        .keys()
        .create(
            new CreateKey(
                null, "owner_r", "revocation", List.of("read"), List.of(), List.of(), 30, Map.of()),
            Actor.SYSTEM);
  }

  private static void revoke(KeygateServer a, String admin, CreatedKey k) throws Exception {
    HttpResponse<String> r =
        Cluster.post(
            a.port(), "/v1/keys/" + k.record().keyId() + "/revoke", admin, "{\"reason\":\"t\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /**
   * Creates {@link #REVOCATIONS} keys (through the core, in bulk), then for each: caches it on B,
   * revokes it on A over HTTP and waits (at most {@link #DEADLINE}) until B refuses it as revoked.
   */
  private void revokeAllOnAAndAwaitOnB(String scenario, KeygateServer a, KeygateServer b)
      throws Exception {
    String admin = Cluster.adminToken(a);
    List<CreatedKey> keys = new ArrayList<>();
    for (int i = 0; i < REVOCATIONS; i++) {
      keys.add(key(a));
    }
    long[] nanos = new long[REVOCATIONS];
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < PARALLEL; w++) {
        int worker = w;
        fs.add(
            pool.submit(
                () -> {
                  for (int i = worker; i < REVOCATIONS; i += PARALLEL) {
                    CreatedKey k = keys.get(i);
                    String raw = k.secret().reveal();
                    assertThat(Cluster.authz(b.port(), raw).statusCode())
                        .as("cached on B")
                        .isEqualTo(200);
                    // at a random moment relative to B's polls, as revocations arrive
                    Thread.sleep(ThreadLocalRandom.current().nextLong(ARRIVAL_SPREAD_MILLIS));
                    revoke(a, admin, k);
                    long revoked = System.nanoTime();
                    await("revocation " + i + " refused on node B")
                        .atMost(DEADLINE)
                        .pollDelay(Duration.ZERO)
                        .pollInterval(Duration.ofMillis(2))
                        .until(() -> refusedAsRevoked(b, raw));
                    nanos[i] = System.nanoTime() - revoked;
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get(30, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    Arrays.sort(nanos);
    String line =
        String.format(
            "revocation propagation A->B, %s, %d revocations (%d in flight, change poll %d ms):"
                + " p50 %.1f ms, p99 %.1f ms, max %.1f ms",
            scenario,
            REVOCATIONS,
            PARALLEL,
            ClusterConfig.fromEnv(NODE_ENV).changePoll().toMillis(),
            nanos[REVOCATIONS / 2] / 1e6,
            nanos[(int) Math.ceil(REVOCATIONS * 0.99) - 1] / 1e6,
            nanos[REVOCATIONS - 1] / 1e6);
    System.out.println("[scale-out] " + line);
    Path out = Path.of("target", "scale-out");
    Files.createDirectories(out);
    Files.writeString(out.resolve("propagation-" + scenario + ".txt"), line + "\n");
    assertThat(b.changeFollower().cacheDrops()).as("no rows missed").isZero();
  }

  /** B answers 401 {@code key_revoked}; any other refusal fails the test (not a revocation). */
  private static boolean refusedAsRevoked(KeygateServer b, String raw) throws Exception {
    HttpResponse<String> r = Cluster.authz(b.port(), raw);
    if (r.statusCode() == 200) {
      return false;
    }
    assertThat(r.headers().firstValue("X-Keygate-Error")).hasValue("key_revoked");
    return true;
  }
}
