package io.keygate.server.cluster;

import static io.keygate.server.cluster.Gateways.apiKey;
import static io.keygate.server.cluster.Gateways.replaceOnce;
import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.server.KeygateServer;
import io.keygate.server.cluster.Gateways.Front;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The nginx configuration of {@code docs/deploy.md}, as written there, in front of two Keygate
 * nodes (PostgreSQL + Redis, {@code KEYGATE_FORWARD_AUTH=nginx} as the doc says) and a stub API:
 * nginx runs as the current user with its pid, logs and temp files in a temp directory. Skipped,
 * saying why, when no {@code nginx} binary is installed.
 *
 * <p>The test takes the first {@code nginx} block of the doc and changes only addresses: the two
 * first {@code keygate} upstream servers become the nodes, the third is dropped, {@code api}
 * becomes the stub, {@code listen 443 ssl} a loopback port.
 */
class NginxFrontTest {
  @Test
  void docConfig_validKeyReachesApi_refusalsAndUrlTricksAnsweredThroughNginx() throws Exception {
    Path nginx = Gateways.binaryOrSkip("NginxFrontTest", "nginx");
    try (Front f = new Front("nginx")) {
      KeygateServer a = f.a;
      KeygateServer b = f.b;
      int port = Gateways.freePort();
      String docBlock = docServerBlock(a.port(), b.port(), f.apiPort(), port);
      f.gateway(startNginx(nginx, f.cluster.dir.resolve("nginx"), docBlock, port));

      // nginx answers 400 and 429 from the doc's @keygate_error location: the code in the body
      Gateways.assertDocumentedAnswers(
          "nginx", port, f, (r, code) -> assertThat(r.body()).contains(code));
      assertThat(a.keygate().verifier().cachedKeys())
          .as("node A answered some of the auth requests")
          .isPositive();
      assertThat(b.keygate().verifier().cachedKeys())
          .as("node B answered some of the auth requests")
          .isPositive();
      Map<String, String> forged = new HashMap<>(apiKey(f.ruled));
      forged.put("X-Forwarded-Uri", "/orders/1");
      forged.put("X-Forwarded-Method", "GET");
      assertThat(Cluster.get(port, "/admin", forged).statusCode())
          .as("a client's X-Forwarded-Uri is ignored in nginx mode")
          .isEqualTo(403);

      // nginx keeps its connections to Keygate open and reuses them, even for clients that send
      // Accept: application/json: 500 requests open only a few new connections
      Map<String, String> jsonClient = new HashMap<>(apiKey(f.valid));
      jsonClient.put("Accept", "application/json");
      // (400 admitted, 100 refused: a 401 without a body keeps the connection too)
      long reused =
          newConnections(port, jsonClient, 200, 400, a, b)
              + newConnections(port, Map.of("Accept", "application/json"), 401, 100, a, b);
      System.out.println(
          "[scale-out] nginx as in docs/deploy.md: 500 requests opened "
              + reused
              + " connections to Keygate");
      assertThat(reused).as("connections nginx opened to Keygate for 500 requests").isLessThan(50);

      // controls: without the doc's `keepalive`, or with the client's Accept passed on (a JSON
      // body on the auth answer), nginx opens a connection per request
      int noKeepalive = Gateways.freePort();
      f.gateway(
          startNginx(
              nginx,
              f.cluster.dir.resolve("nginx-no-keepalive"),
              replaceOnce(
                  docServerBlock(a.port(), b.port(), f.apiPort(), noKeepalive),
                  "keepalive 64;",
                  ""),
              noKeepalive));
      assertThat(newConnections(noKeepalive, jsonClient, 200, 100, a, b))
          .as("without keepalive")
          .isGreaterThanOrEqualTo(95);
      int withBody = Gateways.freePort();
      f.gateway(
          startNginx(
              nginx,
              f.cluster.dir.resolve("nginx-with-body"),
              replaceOnce(
                  docServerBlock(a.port(), b.port(), f.apiPort(), withBody),
                  "proxy_set_header Accept \"\";",
                  ""),
              withBody));
      assertThat(newConnections(withBody, jsonClient, 200, 100, a, b))
          .as("with a JSON body on every auth answer")
          .isGreaterThanOrEqualTo(95);
    }
  }

  /**
   * Sends {@code requests} requests with {@code headers} through nginx on {@code port}, each
   * answered {@code status}, and returns how many connections the nodes accepted meanwhile, read
   * from {@code keygate_http_connections_opened_total} in their {@code /metrics} (a scrape on a new
   * connection counts too: an upper bound).
   */
  private static long newConnections(
      int port, Map<String, String> headers, int status, int requests, KeygateServer... nodes)
      throws Exception {
    long before = 0;
    for (KeygateServer n : nodes) {
      before += connectionsOpened(n);
    }
    for (int i = 0; i < requests; i++) {
      assertThat(Cluster.get(port, "/orders/1", headers).statusCode()).isEqualTo(status);
    }
    long after = 0;
    for (KeygateServer n : nodes) {
      after += connectionsOpened(n);
    }
    return after - before;
  }

  /** The node's {@code keygate_http_connections_opened_total}, from its {@code /metrics}. */
  private static long connectionsOpened(KeygateServer node) throws Exception {
    HttpResponse<String> m = Cluster.get(node.port(), "/metrics", Map.of());
    assertThat(m.statusCode()).isEqualTo(200);
    Matcher v =
        Pattern.compile("(?m)^keygate_http_connections_opened_total(?:\\{[^}]*})? (\\S+)$")
            .matcher(m.body());
    assertThat(v.find()).as("keygate_http_connections_opened_total in /metrics").isTrue();
    return (long) Double.parseDouble(v.group(1));
  }

  /**
   * Starts nginx with {@code serverBlock} in {@code dir} and waits until it listens on {@code
   * port}.
   */
  private static Process startNginx(Path nginx, Path dir, String serverBlock, int port)
      throws Exception {
    Files.createDirectories(dir.resolve("tmp"));
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(conf, mainConfig(dir, serverBlock));
    Process proc =
        new ProcessBuilder(
                nginx.toString(),
                "-p",
                dir.toString(),
                "-c",
                conf.toString(),
                "-e",
                dir.resolve("error.log").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("stdout.log").toFile())
            .start();
    try {
      Gateways.awaitListening(port, proc, dir.resolve("stdout.log"), dir.resolve("error.log"));
    } catch (Exception | Error e) {
      Gateways.stop(proc);
      throw e;
    }
    return proc;
  }

  /** The doc's {@code nginx} block with loopback addresses; fails if the doc changed shape. */
  static String docServerBlock(int nodeA, int nodeB, int api, int listen) throws IOException {
    String block = Gateways.docBlock("nginx");
    String out = replaceOnce(block, "server 10.0.0.11:8080", "server 127.0.0.1:" + nodeA);
    out = replaceOnce(out, "server 10.0.0.12:8080", "server 127.0.0.1:" + nodeB);
    out = out.replaceAll("(?m)^\\s*server 10\\.0\\.0\\.13:8080.*\n", "");
    out = replaceOnce(out, "server 10.0.1.10:9000;", "server 127.0.0.1:" + api + ";");
    return replaceOnce(out, "listen 443 ssl;", "listen 127.0.0.1:" + listen + ";");
  }

  private static String mainConfig(Path dir, String serverBlock) {
    String tmp = dir.resolve("tmp").toString();
    return String.join(
        "\n",
        "user " + System.getProperty("user.name") + ";", // only used when started as root
        "worker_processes 1;",
        "daemon off;",
        "pid " + dir.resolve("nginx.pid") + ";",
        "error_log " + dir.resolve("error.log") + " info;",
        "events { worker_connections 256; }",
        "http {",
        "  access_log " + dir.resolve("access.log") + ";",
        "  client_body_temp_path " + tmp + "/body;",
        "  proxy_temp_path " + tmp + "/proxy;",
        "  fastcgi_temp_path " + tmp + "/fastcgi;",
        "  uwsgi_temp_path " + tmp + "/uwsgi;",
        "  scgi_temp_path " + tmp + "/scgi;",
        serverBlock,
        "}",
        "");
  }
}
