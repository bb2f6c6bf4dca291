package io.keygate.server.cluster;

import static io.keygate.server.cluster.Gateways.apiKey;
import static io.keygate.server.cluster.Gateways.key;
import static io.keygate.server.cluster.Gateways.replaceOnce;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.model.RateLimit;
import io.keygate.redis.TestRedis;
import io.keygate.server.KeygateServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Caddy configuration of {@code docs/deploy.md} ({@code forward_auth}), as written there, in
 * front of two Keygate nodes (PostgreSQL + Redis, {@code KEYGATE_FORWARD_AUTH=forwarded} as the doc
 * says) and a stub API. Caddy runs with its admin endpoint and automatic HTTPS off and its data in
 * a temp directory. Skipped, saying why, when no {@code caddy} binary is installed.
 *
 * <p>The test takes the first {@code caddyfile} block of the doc and changes only addresses: the
 * site address becomes a loopback port over plain HTTP, the two Keygate upstreams the nodes, the
 * API the stub.
 */
class CaddyFrontTest {
  @Test
  void docConfig_validKeyReachesApi_refusalsAndUrlTricksAnsweredThroughCaddy() throws Exception {
    Path caddy = Gateways.binaryOrSkip("CaddyFrontTest", "caddy");
    TestRedis redis = TestRedis.get();
    String prefix = redis.newPrefix();
    HttpServer api = Gateways.stubApi();
    Process proc = null;
    try (Cluster cluster = Cluster.onTestPostgres()) {
      Map<String, String> env = Map.of("KEYGATE_FORWARD_AUTH", "forwarded");
      KeygateServer a = cluster.startInProcess(redis.uri(), prefix, env);
      KeygateServer b = cluster.startInProcess(redis.uri(), prefix, env);
      int port = Gateways.freePort();
      Path dir = cluster.dir.resolve("caddy");
      Files.createDirectories(dir);
      Path conf = dir.resolve("Caddyfile");
      Files.writeString(
          conf,
          "{\n\tadmin off\n\tauto_https off\n\tstorage file_system "
              + dir.resolve("data")
              + "\n}\n"
              + docSite(a.port(), b.port(), api.getAddress().getPort(), port));
      ProcessBuilder pb =
          new ProcessBuilder(
                  caddy.toString(), "run", "--config", conf.toString(), "--adapter", "caddyfile")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("caddy.log").toFile());
      pb.environment().put("HOME", dir.toString());
      pb.environment().put("XDG_DATA_HOME", dir.resolve("xdg-data").toString());
      pb.environment().put("XDG_CONFIG_HOME", dir.resolve("xdg-config").toString());
      proc = pb.start();
      Gateways.awaitListening(port, proc, dir.resolve("caddy.log"));

      CreatedKey valid = key(a, List.of("read"), List.of());
      CreatedKey revoked = key(a, List.of("read"), List.of());
      CreatedKey writer = key(a, List.of("write"), List.of());
      CreatedKey limited =
          key(a, List.of("read"), List.of(new RateLimit("day", 1, Duration.ofDays(1))));
      CreatedKey ruled = key(a, List.of("read", "GET /orders/**"), List.of());
      a.keygate().keys().revoke(revoked.record().keyId(), "test", Actor.SYSTEM);

      for (int i = 0; i < 4; i++) {
        HttpResponse<String> ok = Cluster.get(port, "/orders/1", apiKey(valid));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body())
            .isEqualTo("upstream ok key_id=" + valid.record().keyId() + " api_key_header=false");
      }
      assertThat(a.keygate().verifier().cachedKeys() + b.keygate().verifier().cachedKeys())
          .isPositive();
      assertThat(Cluster.get(port, "/orders/1", apiKey(revoked)).statusCode()).isEqualTo(401);
      assertThat(Cluster.get(port, "/orders/1", Map.of()).statusCode()).isEqualTo(401);
      assertThat(Cluster.get(port, "/orders/1", apiKey(writer)).statusCode())
          .as("header_up X-Keygate-Required-Scopes read")
          .isEqualTo(403);
      assertThat(Cluster.get(port, "/orders/1", apiKey(limited)).statusCode()).isEqualTo(200);
      HttpResponse<String> refused = Cluster.get(port, "/orders/1", apiKey(limited));
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.headers().firstValue("X-Keygate-Error")).hasValue("rate_limited");
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();

      // Caddy passes the client's own headers and query to the auth request
      assertThat(Cluster.get(port, "/orders/1", apiKey(ruled)).statusCode()).isEqualTo(200);
      Map<String, String> forged = new HashMap<>(apiKey(ruled));
      forged.put("X-Original-URI", "/orders/1");
      forged.put("X-Original-Method", "GET");
      assertThat(Cluster.get(port, "/admin", forged).statusCode())
          .as("a client's X-Original-URI is ignored in forwarded mode")
          .isEqualTo(403);
      HttpResponse<String> scopes = Cluster.get(port, "/orders/1?scopes=write", apiKey(writer));
      assertThat(scopes.statusCode())
          .as("a client's ?scopes= cannot replace the header")
          .isEqualTo(400);
      assertThat(scopes.headers().firstValue("X-Keygate-Error"))
          .hasValue("conflicting_authz_parameters");
      assertThat(Cluster.get(port, "/orders/../admin", apiKey(ruled)).statusCode()).isEqualTo(403);
      for (String tricky :
          List.of("/orders/%2e%2e/admin", "/orders/..%2Fadmin", "/orders/..;/admin")) {
        HttpResponse<String> bad = Cluster.get(port, tricky, apiKey(ruled));
        assertThat(bad.statusCode()).as(tricky).isEqualTo(400);
        assertThat(bad.headers().firstValue("X-Keygate-Error")).as(tricky).hasValue("invalid_path");
      }
      String leaked = valid.secret().reveal();
      for (String inUrl :
          List.of(
              "/orders?api_key=" + leaked,
              "/orders/" + leaked,
              "/orders?auth=Bearer%20" + leaked)) {
        HttpResponse<String> r = Cluster.get(port, inUrl, Map.of());
        assertThat(r.statusCode()).as(inUrl).isEqualTo(403);
        assertThat(r.headers().firstValue("X-Keygate-Error")).hasValue("api_key_in_url");
        assertThat(r.body()).doesNotContain(leaked);
      }
    } finally {
      Gateways.stop(proc);
      api.stop(0);
    }
  }

  /** The doc's Caddy site with loopback addresses; fails if the doc changed shape. */
  static String docSite(int nodeA, int nodeB, int api, int listen) throws IOException {
    String site = Gateways.docBlock("caddyfile");
    site = replaceOnce(site, "api.example.com {", "http://127.0.0.1:" + listen + " {");
    site =
        replaceOnce(
            site,
            "forward_auth 10.0.0.11:8080 10.0.0.12:8080 {",
            "forward_auth 127.0.0.1:" + nodeA + " 127.0.0.1:" + nodeB + " {");
    return replaceOnce(
        site, "reverse_proxy 10.0.1.10:9000 {", "reverse_proxy 127.0.0.1:" + api + " {");
  }
}
