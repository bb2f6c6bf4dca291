package io.keygate.server.cluster;

import static org.awaitility.Awaitility.await;

import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.ClusterConfig;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import io.keygate.store.jdbc.TestPostgres;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * Test support for several Keygate nodes sharing one PostgreSQL schema and one Redis: in-process
 * nodes ({@link #startInProcess}) and nodes in their own JVM ({@link #startProcess}, the test class
 * path, {@code keygate serve}). Every node gets the same pepper, data key and audit key (each in
 * its own data directory otherwise, as docs/deploy.md describes).
 */
final class Cluster implements AutoCloseable {
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static final Pattern JDBC_HOST_PORT =
      Pattern.compile("(jdbc:postgresql://)([^/:?\\[]+)(?::(\\d+))?(?=/)");

  final String jdbcUrl;
  final String schema;
  final String pepper;
  final String dataKey;
  final String auditKey;
  final Path dir;
  private final KeygateServerExtension servers = new KeygateServerExtension();
  private final List<Process> processes = new ArrayList<>();
  private final Runnable dropSchema;
  private int nodeCount;

  /** A cluster on a fresh schema of {@link TestPostgres}. */
  static Cluster onTestPostgres() throws IOException {
    TestPostgres pg = TestPostgres.get();
    String schema = pg.newSchema();
    pg.builder(schema).build().close(); // creates and migrates the schema
    String base = pg.jdbcUrl();
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    return new Cluster(url, schema, () -> pg.dropSchema(schema));
  }

  /**
   * The port of a {@code jdbc:postgresql://host[:port]/...} URL (5432 when absent).
   *
   * @throws IllegalArgumentException for any other URL form
   */
  static int jdbcPort(String jdbcUrl) {
    Matcher m = JDBC_HOST_PORT.matcher(jdbcUrl);
    if (!m.lookingAt()) {
      throw new IllegalArgumentException("not a jdbc:postgresql://host[:port]/ URL");
    }
    return m.group(3) == null ? 5432 : Integer.parseInt(m.group(3));
  }

  /** {@code jdbcUrl} with its port replaced by {@code port}; host, database and options kept. */
  static String jdbcUrlWithPort(String jdbcUrl, int port) {
    Matcher m = JDBC_HOST_PORT.matcher(jdbcUrl);
    if (!m.lookingAt()) {
      throw new IllegalArgumentException("not a jdbc:postgresql://host[:port]/ URL");
    }
    return m.group(1) + m.group(2) + ":" + port + jdbcUrl.substring(m.end());
  }

  Cluster(String jdbcUrl, String schema, Runnable dropSchema) throws IOException {
    this.jdbcUrl = jdbcUrl;
    this.schema = schema;
    this.dropSchema = dropSchema;
    this.pepper = randomSecret();
    this.dataKey = randomSecret();
    this.auditKey = randomSecret();
    this.dir = Files.createTempDirectory("keygate-cluster");
  }

  /** 32 random bytes, base64: a pepper, data key or audit key made at run time. */
  static String randomSecret() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  Map<String, String> env(String redisUrl, String prefix, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put("KEYGATE_PEPPER", pepper);
    env.put("KEYGATE_DATA_KEY", dataKey);
    env.put("KEYGATE_AUDIT_KEY", auditKey);
    env.put("KEYGATE_DATABASE_URL", jdbcUrl);
    env.put("KEYGATE_DATA_DIR", dir.resolve("data-" + nodeCount++).toString());
    env.put("KEYGATE_PORT", "0");
    env.put("KEYGATE_USAGE_FLUSH_MS", "500");
    if (redisUrl != null) {
      env.put("KEYGATE_REDIS_URL", redisUrl);
      env.put("KEYGATE_REDIS_PREFIX", prefix);
    }
    env.putAll(extra);
    return env;
  }

  /** An in-process node on {@code redisUrl} (null: none) configured from {@link #env}. */
  KeygateServer startInProcess(String redisUrl, String prefix, Map<String, String> extra) {
    return startInProcess(env(redisUrl, prefix, extra), b -> b).server;
  }

  /**
   * An in-process node configured from {@code env} as {@code keygate serve} reads it, with the
   * system clock, whose builder {@code wiring} adjusts last. It starts through the test-server
   * extension; the cluster closes it (unless the test did) before dropping the schema.
   */
  TestServer startInProcess(Map<String, String> env, UnaryOperator<KeygateServer.Builder> wiring) {
    return servers.start(
        ServerConfig.fromEnv(env),
        b ->
            wiring.apply(
                b.clock(Clock.systemUTC())
                    .cluster(ClusterConfig.fromEnv(env))
                    .notifyConfig(NotifyConfig.fromEnv(env))
                    .secrets(SecretsConfig.fromEnv(env))
                    .outbound(OutboundConfig.fromEnv(env))
                    .leaks(LeakConfig.fromEnv(env))));
  }

  /** Starts {@code keygate serve} in its own JVM and waits until it answers; returns its port. */
  int startProcess(String redisUrl, String prefix, Map<String, String> extra) throws Exception {
    int port;
    try (ServerSocket ss = new ServerSocket(0)) {
      port = ss.getLocalPort();
    }
    Map<String, String> env = env(redisUrl, prefix, extra);
    env.put("KEYGATE_PORT", Integer.toString(port));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            "-cp",
            snapshotClassPath(),
            "io.keygate.server.cli.KeygateCli",
            "serve");
    pb.environment().putAll(env);
    File log = dir.resolve("node-" + port + ".log").toFile();
    pb.redirectErrorStream(true).redirectOutput(log);
    Process p = pb.start();
    processes.add(p);
    try {
      await("node on port " + port)
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptionsInstanceOf(IOException.class)
          .failFast("node process exited", () -> !p.isAlive())
          .until(() -> get(port, "/healthz", Map.of()).statusCode() == 200);
    } catch (ConditionTimeoutException | TerminalFailureException e) {
      throw new IllegalStateException(
          "node process did not start; its log:\n" + Files.readString(log.toPath()), e);
    }
    return port;
  }

  /**
   * The test class path with its directories copied, so that a rebuild of {@code target/classes}
   * while the node runs cannot pull classes from under it.
   */
  private String snapshotClassPath() throws IOException {
    List<String> out = new ArrayList<>();
    int i = 0;
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(e);
      if (Files.isDirectory(p)) {
        Path copy = dir.resolve("cp-" + i++);
        try (var walk = Files.walk(p)) {
          for (Path f : (Iterable<Path>) walk::iterator) {
            Path t = copy.resolve(p.relativize(f).toString());
            if (Files.isDirectory(f)) {
              Files.createDirectories(t);
            } else {
              Files.copy(f, t);
            }
          }
        }
        out.add(copy.toString());
      } else {
        out.add(e);
      }
    }
    return String.join(File.pathSeparator, out);
  }

  static String adminToken(KeygateServer s) {
    return s.keygate()
        .adminTokens()
        .create(null, AdminScopes.ALL, "cluster test", null, new Actor("test", null, null))
        .secret()
        .reveal();
  }

  static HttpResponse<String> get(int port, String path, Map<String, String> headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .GET();
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(int port, String path, String token, String json)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** {@code /v1/authz} with the key in {@code X-API-Key}. */
  static HttpResponse<String> authz(int port, String key) throws IOException, InterruptedException {
    return get(port, "/v1/authz", Map.of("X-API-Key", key));
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl);
  }

  @Override
  public void close() throws Exception {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    try {
      servers.close();
    } finally {
      if (dropSchema != null) {
        dropSchema.run();
      }
    }
  }
}
