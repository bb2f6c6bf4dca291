package io.keygate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.model.RateLimit;
import io.keygate.redis.TestRedis;
import io.keygate.server.KeygateServer;
import io.keygate.server.testing.ExternalTool;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The nginx configuration of {@code docs/deploy.md}, as written there, in front of two Keygate
 * nodes (PostgreSQL + Redis) and a stub API: nginx runs as the current user with its pid, logs and
 * temp files in a temp directory. Skipped, saying why, when no {@code nginx} binary is installed.
 *
 * <p>The test takes the first {@code nginx} block of the doc and changes only addresses: the two
 * first {@code keygate} upstream servers become the nodes, the third is dropped, {@code api}
 * becomes the stub, {@code listen 443 ssl} a loopback port.
 */
class NginxFrontTest {
  static final Path DOC = Path.of("..", "docs", "deploy.md");

  @Test
  void docConfig_validKeyReachesApi_revokedAndMissing401_rateLimited429() throws Exception {
    Optional<Path> nginx = findNginx();
    ExternalTool.require(
        "NginxFrontTest",
        nginx.isPresent(),
        "no nginx binary on PATH or in /usr/sbin (Debian: apt-get install nginx; .ci/run"
            + " installs it)");
    TestRedis redis = TestRedis.get();
    String prefix = redis.newPrefix();
    HttpServer api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    api.createContext(
        "/",
        ex -> {
          String keyId = ex.getRequestHeaders().getFirst("X-Keygate-Key-Id");
          String leaked = ex.getRequestHeaders().getFirst("X-API-Key");
          byte[] body =
              ("upstream ok key_id=" + keyId + " api_key_header=" + (leaked != null))
                  .getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    api.start();
    Process proc = null;
    try (Cluster cluster = Cluster.onTestPostgres()) {
      KeygateServer a = cluster.startInProcess(redis.uri(), prefix, Map.of());
      KeygateServer b = cluster.startInProcess(redis.uri(), prefix, Map.of());
      int port = freePort();
      Path dir = cluster.dir.resolve("nginx");
      Files.createDirectories(dir.resolve("tmp"));
      Path conf = dir.resolve("nginx.conf");
      Files.writeString(
          conf,
          mainConfig(dir, docServerBlock(a.port(), b.port(), api.getAddress().getPort(), port)));
      File log = dir.resolve("stdout.log").toFile();
      proc =
          new ProcessBuilder(
                  nginx.get().toString(),
                  "-p",
                  dir.toString(),
                  "-c",
                  conf.toString(),
                  "-e",
                  dir.resolve("error.log").toString())
              .redirectErrorStream(true)
              .redirectOutput(log)
              .start();
      awaitListening(port, proc, dir);

      CreatedKey valid = key(a, List.of());
      CreatedKey revoked = key(a, List.of());
      CreatedKey limited = key(a, List.of(new RateLimit("day", 1, Duration.ofDays(1))));
      a.keygate().keys().revoke(revoked.record().keyId(), "test", Actor.SYSTEM);

      for (int i = 0; i < 4; i++) {
        HttpResponse<String> ok = Cluster.get(port, "/orders/1", apiKey(valid));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body())
            .isEqualTo("upstream ok key_id=" + valid.record().keyId() + " api_key_header=false");
      }
      assertThat(a.keygate().verifier().cachedKeys())
          .as("node A answered some of the auth requests")
          .isPositive();
      assertThat(b.keygate().verifier().cachedKeys())
          .as("node B answered some of the auth requests")
          .isPositive();
      assertThat(Cluster.get(port, "/orders/1", apiKey(revoked)).statusCode()).isEqualTo(401);
      assertThat(Cluster.get(port, "/orders/1", Map.of()).statusCode()).isEqualTo(401);
      assertThat(Cluster.get(port, "/orders/1", apiKey(limited)).statusCode()).isEqualTo(200);
      HttpResponse<String> refused = Cluster.get(port, "/orders/1", apiKey(limited));
      System.out.println(
          "[scale-out] nginx, rate-limited key: "
              + refused.statusCode()
              + " "
              + refused.body().strip()
              + " Retry-After "
              + refused.headers().firstValue("Retry-After").orElse("-"));
      assertThat(refused.statusCode()).isEqualTo(429);
      assertThat(refused.body()).contains("rate_limited");
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    } finally {
      if (proc != null) {
        proc.destroy();
        if (!proc.waitFor(10, TimeUnit.SECONDS)) {
          proc.destroyForcibly();
        }
      }
      api.stop(0);
    }
  }

  private static Map<String, String> apiKey(CreatedKey k) {
    return Map.of("X-API-Key", k.secret().reveal());
  }

  private static CreatedKey key(KeygateServer s, List<RateLimit> limits) {
    return s.keygate()
        .keys()
        .create(
            new CreateKey(null, "owner_n", "n", List.of("read"), List.of(), limits, 30, Map.of()),
            Actor.SYSTEM);
  }

  /** The doc's {@code nginx} block with loopback addresses; fails if the doc changed shape. */
  static String docServerBlock(int nodeA, int nodeB, int api, int listen) throws IOException {
    Matcher m = Pattern.compile("(?s)```nginx\n(.*?)```").matcher(Files.readString(DOC));
    assertThat(m.find()).as("an nginx block in " + DOC).isTrue();
    String block = m.group(1);
    String out = replaceOnce(block, "server 10.0.0.11:8080", "server 127.0.0.1:" + nodeA);
    out = replaceOnce(out, "server 10.0.0.12:8080", "server 127.0.0.1:" + nodeB);
    out = out.replaceAll("(?m)^\\s*server 10\\.0\\.0\\.13:8080.*\n", "");
    out = replaceOnce(out, "server 10.0.1.10:9000;", "server 127.0.0.1:" + api + ";");
    return replaceOnce(out, "listen 443 ssl;", "listen 127.0.0.1:" + listen + ";");
  }

  private static String replaceOnce(String s, String what, String with) {
    assertThat(s).as("docs/deploy.md nginx block contains '" + what + "'").contains(what);
    return s.replace(what, with);
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

  private static Optional<Path> findNginx() {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.concat(
            Stream.of(path.split(File.pathSeparator)).map(p -> Path.of(p, "nginx")),
            Stream.of(Path.of("/usr/sbin/nginx")))
        .filter(Files::isExecutable)
        .findFirst();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void awaitListening(int port, Process proc, Path dir) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        if (!proc.isAlive() || System.nanoTime() > deadline) {
          Path err = dir.resolve("error.log");
          throw new IllegalStateException(
              "nginx did not start: "
                  + Files.readString(dir.resolve("stdout.log"))
                  + (Files.exists(err) ? Files.readString(err) : ""));
        }
        Thread.sleep(50);
      }
    }
  }
}
