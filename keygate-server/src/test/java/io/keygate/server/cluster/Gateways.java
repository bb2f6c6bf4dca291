package io.keygate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * Test support for real gateways (nginx, Caddy) in front of Keygate nodes, configured from the
 * blocks of {@code docs/deploy.md}: finding the binary (or skipping the test with a printed
 * reason), a stub API that echoes what reached it, ports and start-up.
 */
final class Gateways {
  static final Path DEPLOY_DOC = Path.of("..", "docs", "deploy.md");

  private Gateways() {}

  /**
   * The binary {@code name} on {@code PATH} or in {@code /usr/sbin}; aborts the calling test,
   * printing why, when there is none.
   */
  static Path binaryOrSkip(String test, String name) {
    String path = System.getenv().getOrDefault("PATH", "");
    Optional<Path> found =
        Stream.concat(
                Stream.of(path.split(File.pathSeparator)).map(p -> Path.of(p, name)),
                Stream.of(Path.of("/usr/sbin", name)))
            .filter(Files::isExecutable)
            .findFirst();
    ExternalTool.require(
        test,
        found.isPresent(),
        "no "
            + name
            + " binary on PATH or in /usr/sbin (Debian: apt-get install "
            + name
            + "; .ci/run installs it)");
    return found.get();
  }

  /** The first fenced block of {@code language} in {@code docs/deploy.md}. */
  static String docBlock(String language) throws IOException {
    return docBlock(language, "");
  }

  /** The first fenced block of {@code language} in {@code docs/deploy.md} holding {@code text}. */
  static String docBlock(String language, String text) throws IOException {
    Matcher m =
        Pattern.compile("(?s)```" + Pattern.quote(language) + "\n(.*?)```")
            .matcher(Files.readString(DEPLOY_DOC));
    while (m.find()) {
      if (m.group(1).contains(text)) {
        return m.group(1);
      }
    }
    throw new AssertionError("no " + language + " block holding '" + text + "' in " + DEPLOY_DOC);
  }

  /** {@code s} with {@code what} replaced; fails if the doc changed shape and it is missing. */
  static String replaceOnce(String s, String what, String with) {
    assertThat(s).as("docs/deploy.md block contains '" + what + "'").contains(what);
    return s.replace(what, with);
  }

  /**
   * A stub API on loopback answering 200 {@code upstream ok key_id=<X-Keygate-Key-Id>
   * api_key_header=<whether X-API-Key reached it>}.
   */
  static HttpServer stubApi() throws IOException {
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
    return api;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Waits until {@code port} accepts connections; fails with {@code logs} if {@code proc} dies. */
  static void awaitListening(int port, Process proc, Path... logs) throws Exception {
    try {
      await("gateway on port " + port)
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptionsInstanceOf(IOException.class)
          .failFast("gateway process exited", () -> !proc.isAlive())
          .until(
              () -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                  return true;
                }
              });
    } catch (ConditionTimeoutException | TerminalFailureException e) {
      StringBuilder b = new StringBuilder("gateway did not start:\n");
      for (Path l : logs) {
        if (Files.exists(l)) {
          b.append(Files.readString(l));
        }
      }
      throw new IllegalStateException(b.toString(), e);
    }
  }

  static void stop(Process proc) throws InterruptedException {
    if (proc != null) {
      proc.destroy();
      if (!proc.waitFor(10, TimeUnit.SECONDS)) {
        proc.destroyForcibly();
      }
    }
  }

  /** A key of {@code owner_n} with {@code scopes} and {@code limits}, valid 30 days. */
  static CreatedKey key(KeygateServer s, List<String> scopes, List<RateLimit> limits) {
    return s.keygate()
        .keys()
        .create(
            new CreateKey(null, "owner_n", "n", scopes, List.of(), limits, 30, Map.of()),
            Actor.SYSTEM);
  }

  static Map<String, String> apiKey(CreatedKey k) {
    return Map.of("X-API-Key", k.secret().reveal());
  }

  /**
   * What a gateway in front of Keygate is tested against: two in-process nodes (PostgreSQL + Redis,
   * {@code KEYGATE_FORWARD_AUTH=<mode>}), a {@link #stubApi()}, and keys of {@code owner_n}: a
   * valid one, a revoked one, one limited to one request a day and one allowed only {@code GET
   * /orders/**}. Gateway processes handed to {@link #gateway} are stopped on close, before the
   * nodes, the schema and the stub API.
   */
  static final class Front implements AutoCloseable {
    final Cluster cluster;
    final KeygateServer a;
    final KeygateServer b;
    final HttpServer api;
    final CreatedKey valid;
    final CreatedKey revoked;
    final CreatedKey limited;
    final CreatedKey ruled;
    private final List<Process> gateways = new ArrayList<>();

    Front(String forwardAuthMode) throws Exception {
      TestRedis redis = TestRedis.get();
      String prefix = redis.newPrefix();
      api = stubApi();
      try {
        cluster = Cluster.onTestPostgres();
      } catch (Exception | Error e) {
        api.stop(0);
        throw e;
      }
      try {
        Map<String, String> env = Map.of("KEYGATE_FORWARD_AUTH", forwardAuthMode);
        a = cluster.startInProcess(redis.uri(), prefix, env);
        b = cluster.startInProcess(redis.uri(), prefix, env);
        valid = key(a, List.of("read"), List.of());
        revoked = key(a, List.of("read"), List.of());
        limited = key(a, List.of("read"), List.of(new RateLimit("day", 1, Duration.ofDays(1))));
        ruled = key(a, List.of("read", "GET /orders/**"), List.of());
        a.keygate().keys().revoke(revoked.record().keyId(), "test", Actor.SYSTEM);
      } catch (Exception | Error e) {
        close();
        throw e;
      }
    }

    int apiPort() {
      return api.getAddress().getPort();
    }

    /** Registers a started gateway process for stopping on close; returns it. */
    Process gateway(Process proc) {
      gateways.add(proc);
      return proc;
    }

    @Override
    public void close() throws Exception {
      try {
        for (Process p : gateways) {
          stop(p);
        }
        cluster.close();
      } finally {
        api.stop(0);
      }
    }
  }

  /**
   * The answers every documented gateway gives on {@code port} in front of {@code f}: the valid key
   * reaches the API (without its {@code X-API-Key}), the revoked key and no key are 401, the
   * limited key's second request is 429 with {@code Retry-After}, the endpoint rules see the
   * normalized path, path tricks are 400 {@code invalid_path} and a key anywhere in the URL is 403
   * without reaching the API. {@code carriesCode} asserts how the gateway shows Keygate's error
   * code on the 400 and 429 answers.
   */
  static void assertDocumentedAnswers(
      String gateway, int port, Front f, BiConsumer<HttpResponse<String>, String> carriesCode)
      throws Exception {
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> ok = Cluster.get(port, "/orders/1", apiKey(f.valid));
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body())
          .isEqualTo("upstream ok key_id=" + f.valid.record().keyId() + " api_key_header=false");
    }
    assertThat(Cluster.get(port, "/orders/1", apiKey(f.revoked)).statusCode()).isEqualTo(401);
    assertThat(Cluster.get(port, "/orders/1", Map.of()).statusCode()).isEqualTo(401);
    assertThat(Cluster.get(port, "/orders/1", apiKey(f.limited)).statusCode()).isEqualTo(200);
    HttpResponse<String> refused = Cluster.get(port, "/orders/1", apiKey(f.limited));
    System.out.println(
        "[scale-out] "
            + gateway
            + ", rate-limited key: "
            + refused.statusCode()
            + " "
            + refused.body().strip()
            + " Retry-After "
            + refused.headers().firstValue("Retry-After").orElse("-"));
    assertThat(refused.statusCode()).isEqualTo(429);
    carriesCode.accept(refused, "rate_limited");
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();

    // the key's endpoint rules see the path the gateway got, whatever the client adds
    assertThat(Cluster.get(port, "/orders/1", apiKey(f.ruled)).statusCode()).isEqualTo(200);
    assertThat(Cluster.get(port, "/orders/../admin", apiKey(f.ruled)).statusCode()).isEqualTo(403);
    for (String tricky :
        List.of("/orders/%2e%2e/admin", "/orders/..%2Fadmin", "/orders/..;/admin")) {
      HttpResponse<String> bad = Cluster.get(port, tricky, apiKey(f.ruled));
      assertThat(bad.statusCode()).as(tricky).isEqualTo(400);
      carriesCode.accept(bad, "invalid_path");
    }
    // a key in the URL, wherever it is, never reaches the API
    String leaked = f.valid.secret().reveal();
    for (String inUrl : keyInUrl(leaked)) {
      HttpResponse<String> r = Cluster.get(port, inUrl, Map.of());
      assertThat(r.statusCode()).as(inUrl).isEqualTo(403);
      assertThat(r.body()).doesNotContain(leaked);
    }
  }

  /** Requests that carry {@code key} in the URL (query, path, an {@code auth} parameter). */
  static List<String> keyInUrl(String key) {
    return List.of("/orders?api_key=" + key, "/orders/" + key, "/orders?auth=Bearer%20" + key);
  }
}
