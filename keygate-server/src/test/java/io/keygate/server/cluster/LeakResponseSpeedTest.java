package io.keygate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.keygate.redis.TestRedis;
import io.keygate.server.KeygateServer;
import io.keygate.server.http.Json;
import io.keygate.server.testing.GitHubSigner;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Leak response speed on a two-node cluster (PostgreSQL + Redis; node A in this JVM, node B a
 * separate {@code keygate serve} process): for each of 200 keys, warmed in both nodes' caches, a
 * signed GitHub secret scanning report is sent to node A, and the time is taken until the key is
 * refused by {@code /v1/authz} on both nodes, and until the owner's webhook receives the {@code
 * key.leaked} event. Prints p50/p99/max; asserts only correctness (every key refused on both nodes,
 * every webhook delivered). Figures go to docs/benchmarks.md, "Leak response speed".
 *
 * <p>Run: {@code ./mvnw -o -pl keygate-server -am test -Dtest=LeakResponseSpeedTest
 * -Dsurefire.failIfNoSpecifiedTests=false}
 */
class LeakResponseSpeedTest {
  private static final int REPORTS = 200;
  private static final int WARM_UP = 10;
  private static final String KEY_ID = "speed-key";

  @Test
  void signedGithubReport_toRefusedOnBothNodes_andOwnerWebhook_p50p99() throws Exception {
    GitHubSigner github = new GitHubSigner(KEY_ID);
    Map<String, Long> hooked = new ConcurrentHashMap<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        ex -> {
          long at = System.nanoTime();
          byte[] body;
          try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
          }
          JsonNode n = Json.MAPPER.readTree(body);
          if (body.length > 0 && "key.leaked".equals(n.path("type").asText())) {
            JsonNode keyId = n.findValue("key_id");
            if (keyId != null) {
              hooked.putIfAbsent(keyId.asText(), at);
            }
          }
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    receiver.start();
    TestRedis redis = TestRedis.get();
    try (Cluster cluster = Cluster.onTestPostgres()) {
      Path keysFile = cluster.dir.resolve("github-keys.json");
      github.writeKeysFile(keysFile);
      Map<String, String> env = new HashMap<>(TwoNodeClusterTest.NODE_ENV);
      env.put("KEYGATE_GITHUB_KEYS_FILE", keysFile.toString());
      env.put("KEYGATE_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32");
      String prefix = redis.newPrefix();
      KeygateServer a = cluster.startInProcess(redis.uri(), prefix, env);
      int portB = cluster.startProcess(redis.uri(), prefix, env);
      int portA = a.port();
      String admin = Cluster.adminToken(a);
      String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
      HttpResponse<String> owner =
          Cluster.post(
              portA,
              "/v1/owners",
              admin,
              "{\"owner_id\":\"hooked\",\"name\":\"Hooked\",\"webhooks\":[{\"url\":\""
                  + hook
                  + "\",\"secret\":\"whsec_speed_test_secret_0123456789\"}]}");
      assertThat(owner.statusCode()).as(owner.body()).isEqualTo(201);

      List<Long> toRefused = new ArrayList<>();
      List<Long> toWebhook = new ArrayList<>();
      Map<String, Long> sentAt = new HashMap<>();
      for (int i = 0; i < REPORTS + WARM_UP; i++) {
        JsonNode k =
            Json.MAPPER.readTree(
                Cluster.post(
                        portA,
                        "/v1/keys",
                        admin,
                        "{\"owner_id\":\"hooked\",\"name\":\"speed\",\"scopes\":[\"read\"]}")
                    .body());
        String raw = k.get("api_key").asText();
        String keyId = k.get("key_id").asText();
        assertThat(Cluster.authz(portA, raw).statusCode()).isEqualTo(200); // cached on A
        assertThat(Cluster.authz(portB, raw).statusCode()).isEqualTo(200); // cached on B
        byte[] body =
            Json.write(
                List.of(
                    Map.of(
                        "token",
                        raw,
                        "type",
                        "keygate_api_key",
                        "url",
                        "https://github.com/octo/app/blob/main/env#L" + i,
                        "source",
                        "content")));
        HttpRequest req =
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + portA + "/v1/secret-scanning/github"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header("Github-Public-Key-Identifier", KEY_ID)
                .header("Github-Public-Key-Signature", github.sign(body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        long sent = System.nanoTime();
        HttpResponse<String> r = Cluster.HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).contains("true_positive");
        long[] refusedAt = {0};
        await()
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(2))
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  boolean both =
                      Cluster.authz(portA, raw).statusCode() == 401
                          && Cluster.authz(portB, raw).statusCode() == 401;
                  if (both) {
                    refusedAt[0] = System.nanoTime();
                  }
                  return both;
                });
        if (i >= WARM_UP) {
          toRefused.add((refusedAt[0] - sent) / 1_000_000L);
          sentAt.put(keyId, sent);
        }
      }
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> hooked.keySet().containsAll(sentAt.keySet()));
      sentAt.forEach((id, sent) -> toWebhook.add((hooked.get(id) - sent) / 1_000_000L));

      System.out.printf(
          "LeakResponseSpeedTest: %d signed GitHub reports to node A, two nodes (PostgreSQL +"
              + " Redis)%n  report -> refused on both nodes: %s%n  report -> owner webhook: %s%n",
          REPORTS, figures(toRefused), figures(toWebhook));
      assertThat(toRefused).hasSize(REPORTS);
      assertThat(toWebhook).hasSize(REPORTS);
    } finally {
      receiver.stop(0);
    }
  }

  private static String figures(List<Long> millis) {
    List<Long> s = new ArrayList<>(millis);
    Collections.sort(s);
    return String.format(
        "p50 %d ms, p99 %d ms, max %d ms (n=%d)",
        s.get((int) Math.ceil(0.50 * s.size()) - 1),
        s.get((int) Math.ceil(0.99 * s.size()) - 1),
        s.get(s.size() - 1),
        s.size());
  }
}
