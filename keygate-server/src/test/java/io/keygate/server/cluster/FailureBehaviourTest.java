package io.keygate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.model.RateLimit;
import io.keygate.redis.TestRedis;
import io.keygate.server.KeygateServer;
import io.keygate.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What nodes do when Redis or PostgreSQL goes away mid-load, and that they recover by themselves.
 * Neither test stops a shared server: the Redis test stops a dedicated embedded Redis it started
 * itself; the PostgreSQL test puts a {@link TcpProxy} between its node and the shared test
 * PostgreSQL (its own schema) and cuts it, so it needs no PostgreSQL of its own (and no {@code
 * initdb}, which refuses to run as root where user namespaces are not allowed).
 */
class FailureBehaviourTest {

  private static CreatedKey key(KeygateServer s, List<RateLimit> limits) {
    return s.keygate()
        .keys()
        .create(
            new CreateKey(null, "owner_f", "f", List.of("read"), List.of(), limits, 30, Map.of()),
            Actor.SYSTEM);
  }

  /** Counts statuses per phase of a load loop against one node. */
  private static final class Load implements Runnable {
    final int port;
    final String key;
    final AtomicBoolean stop = new AtomicBoolean();
    final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    volatile String phase = "before";

    Load(int port, String key) {
      this.port = port;
      this.key = key;
    }

    @Override
    public void run() {
      while (!stop.get()) {
        String p = phase;
        int s;
        try {
          s = Cluster.authz(port, key).statusCode();
        } catch (Exception e) {
          s = -1;
        }
        counts.computeIfAbsent(p + ":" + s, k -> new AtomicInteger()).incrementAndGet();
      }
    }

    int count(String phase, int status) {
      AtomicInteger n = counts.get(phase + ":" + status);
      return n == null ? 0 : n.get();
    }

    boolean anyOutside(int... allowed) {
      for (String k : counts.keySet()) {
        int s = Integer.parseInt(k.substring(k.indexOf(':') + 1));
        if (Arrays.stream(allowed).noneMatch(a -> a == s)) {
          return true;
        }
      }
      return false;
    }
  }

  @Test
  void redisKilledMidLoad_verifyNeverFails_fallbackAsConfigured_andRecovers() throws Exception {
    TestRedis.Dedicated redis = TestRedis.startDedicated();
    try (Cluster cluster = Cluster.onTestPostgres()) {
      Map<String, String> common =
          Map.of(
              "KEYGATE_CLUSTER_NODES", "2",
              "KEYGATE_REDIS_TIMEOUT_MS", "500",
              "KEYGATE_REDIS_BREAKER_SECONDS", "1");
      KeygateServer local = cluster.startInProcess(redis.uri(), "fail:", common);
      Map<String, String> closedEnv = new HashMap<>(common);
      closedEnv.put("KEYGATE_REDIS_RATE_LIMIT_FALLBACK", "closed");
      KeygateServer closed = cluster.startInProcess(redis.uri(), "fail:", closedEnv);
      String raw =
          key(local, List.of(new RateLimit("big", 1_000_000, Duration.ofDays(1))))
              .secret()
              .reveal();
      Load onLocal = new Load(local.port(), raw);
      Load onClosed = new Load(closed.port(), raw);
      Thread t1 = new Thread(onLocal);
      Thread t2 = new Thread(onClosed);
      t1.start();
      t2.start();
      Thread.sleep(1500);
      onLocal.phase = onClosed.phase = "down";
      redis.stop();
      Thread.sleep(4000);
      onLocal.phase = onClosed.phase = "restarted";
      redis.start();
      await("closed-fallback node recovers")
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> assertThat(onClosed.count("restarted", 200)).isGreaterThanOrEqualTo(20));
      onLocal.phase = onClosed.phase = "recovered";
      Thread.sleep(1500);
      onLocal.stop.set(true);
      onClosed.stop.set(true);
      t1.join(30_000);
      t2.join(30_000);
      System.out.println("[scale-out] Redis outage, local fallback node: " + onLocal.counts);
      System.out.println("[scale-out] Redis outage, closed fallback node: " + onClosed.counts);

      assertThat(onLocal.anyOutside(200)).as("local fallback: only 200s").isFalse();
      assertThat(onClosed.anyOutside(200, 429)).as("closed fallback: 200 or 429").isFalse();
      assertThat(onLocal.count("down", 200)).isPositive();
      assertThat(onClosed.count("down", 429)).isPositive();
      assertThat(onClosed.count("recovered", 429)).isZero();
      long fallbacks = local.redis().rateLimitFallbacks();
      Thread.sleep(300);
      Cluster.authz(local.port(), raw);
      assertThat(local.redis().rateLimitFallbacks()).as("Redis used again").isEqualTo(fallbacks);

      // invalidation works again after the outage: revoke on one node, the other sees it
      CreatedKey k2 = key(local, List.of());
      assertThat(Cluster.authz(closed.port(), k2.secret().reveal()).statusCode()).isEqualTo(200);
      local.keygate().keys().revoke(k2.record().keyId(), "t", Actor.SYSTEM);
      // well below the 30 s TTL
      await("invalidation after recovery")
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(Cluster.authz(closed.port(), k2.secret().reveal()).statusCode())
                      .isNotEqualTo(200));
    } finally {
      redis.stop();
    }
  }

  @Test
  void postgresStopped_cachedKeysKeepWorking_missesAndWritesAre503_thenRecovers() throws Exception {
    try (Cluster cluster = Cluster.onTestPostgres();
        TcpProxy pg = new TcpProxy(Cluster.jdbcPort(cluster.jdbcUrl))) {
      // the node reaches PostgreSQL only through the proxy; cutting it is PostgreSQL going away
      Map<String, String> env =
          cluster.env(
              null,
              null,
              Map.of(
                  "KEYGATE_DATABASE_URL",
                  Cluster.jdbcUrlWithPort(cluster.jdbcUrl, pg.port()),
                  "KEYGATE_DATABASE_CONNECT_TIMEOUT_MS",
                  "2000"));
      TestServer started = cluster.startInProcess(env, b -> b);
      KeygateServer node = started.server;
      try {
        String admin = Cluster.adminToken(node);
        CreatedKey cached = key(node, List.of());
        CreatedKey uncached = key(node, List.of());
        assertThat(Cluster.authz(node.port(), cached.secret().reveal()).statusCode())
            .isEqualTo(200);

        pg.cut(); // every open connection dropped, new ones closed at once
        HttpResponse<String> hit = Cluster.authz(node.port(), cached.secret().reveal());
        HttpResponse<String> miss = Cluster.authz(node.port(), uncached.secret().reveal());
        long asked = System.nanoTime();
        HttpResponse<String> verifyMiss =
            Cluster.post(
                node.port(),
                "/v1/verify",
                admin,
                "{\"key\":\"" + uncached.secret().reveal() + "\"}");
        Duration verifyMissWait = Duration.ofNanos(System.nanoTime() - asked);
        HttpResponse<String> write =
            Cluster.post(node.port(), "/v1/keys", admin, "{\"owner_id\":\"o\",\"name\":\"n\"}");
        System.out.println(
            "[scale-out] PostgreSQL down: cached key "
                + hit.statusCode()
                + ", uncached key "
                + miss.statusCode()
                + " "
                + miss.body()
                + ", /v1/verify miss "
                + verifyMiss.statusCode()
                + " after "
                + verifyMissWait.toMillis()
                + " ms (connect timeout 2 s)"
                + ", create "
                + write.statusCode()
                + " "
                + write.body());
        assertThat(hit.statusCode()).isEqualTo(200);
        assertThat(miss.statusCode()).isEqualTo(503);
        assertThat(miss.body()).contains("store_unavailable");
        assertThat(verifyMiss.statusCode()).isEqualTo(503);
        // bounded by KEYGATE_DATABASE_CONNECT_TIMEOUT_MS (2 s), not HikariCP's 30 s default; the
        // margin absorbs a loaded machine, the bound is what matters
        assertThat(verifyMissWait).isLessThan(Duration.ofSeconds(12));
        assertThat(write.statusCode()).isEqualTo(503);
        assertThat(write.body()).contains("store_unavailable");
        int acceptedWhileCut = pg.accepted();

        pg.restore();
        await("recovers after PostgreSQL returns")
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(
                () ->
                    assertThat(Cluster.authz(node.port(), uncached.secret().reveal()).statusCode())
                        .isEqualTo(200));
        HttpResponse<String> created =
            Cluster.post(node.port(), "/v1/keys", admin, "{\"owner_id\":\"o\",\"name\":\"n\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(pg.accepted())
            .as("the node reconnected through the proxy")
            .isGreaterThan(acceptedWhileCut);
      } finally {
        started.close(); // before the proxy closes: the node's last usage flush still reaches it
      }
    }
  }
}
