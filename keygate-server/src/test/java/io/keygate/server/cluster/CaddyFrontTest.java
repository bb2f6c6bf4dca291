package io.keygate.server.cluster;

import static io.keygate.server.cluster.Gateways.apiKey;
import static io.keygate.server.cluster.Gateways.key;
import static io.keygate.server.cluster.Gateways.replaceOnce;
import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.server.cluster.Gateways.Front;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
    try (Front f = new Front("forwarded")) {
      int port = Gateways.freePort();
      Path dir = f.cluster.dir.resolve("caddy");
      Files.createDirectories(dir);
      Path conf = dir.resolve("Caddyfile");
      Files.writeString(
          conf,
          "{\n\tadmin off\n\tauto_https off\n\tstorage file_system "
              + dir.resolve("data")
              + "\n}\n"
              + docSite(f.a.port(), f.b.port(), f.apiPort(), port));
      ProcessBuilder pb =
          new ProcessBuilder(
                  caddy.toString(), "run", "--config", conf.toString(), "--adapter", "caddyfile")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("caddy.log").toFile());
      pb.environment().put("HOME", dir.toString());
      pb.environment().put("XDG_DATA_HOME", dir.resolve("xdg-data").toString());
      pb.environment().put("XDG_CONFIG_HOME", dir.resolve("xdg-config").toString());
      Process proc = f.gateway(pb.start());
      Gateways.awaitListening(port, proc, dir.resolve("caddy.log"));
      CreatedKey writer = key(f.a, List.of("write"), List.of());

      // Caddy passes Keygate's error code on in X-Keygate-Error
      Gateways.assertDocumentedAnswers(
          "caddy",
          port,
          f,
          (r, code) -> assertThat(r.headers().firstValue("X-Keygate-Error")).hasValue(code));
      assertThat(f.a.keygate().verifier().cachedKeys() + f.b.keygate().verifier().cachedKeys())
          .isPositive();
      assertThat(Cluster.get(port, "/orders/1", apiKey(writer)).statusCode())
          .as("header_up X-Keygate-Required-Scopes read")
          .isEqualTo(403);
      for (String inUrl : Gateways.keyInUrl(f.valid.secret().reveal())) {
        assertThat(Cluster.get(port, inUrl, Map.of()).headers().firstValue("X-Keygate-Error"))
            .as(inUrl)
            .hasValue("api_key_in_url");
      }

      // Caddy passes the client's own headers and query to the auth request
      Map<String, String> forged = new HashMap<>(apiKey(f.ruled));
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
