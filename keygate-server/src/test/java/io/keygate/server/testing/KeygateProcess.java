package io.keygate.server.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The packaged jar ({@code target/keygate.jar}, or {@code -Dkeygate.jar}; built by the shade plugin
 * before maven-failsafe-plugin runs the ITs) run as its own process, as {@code bin/keygate} runs
 * it: {@code keygate serve} ({@link #serve}) and the one-shot CLI commands ({@link #adminToken},
 * {@link #assertAuditChainIntact}). The server's output is collected for assertions and failure
 * messages; {@link #close()} kills a server that is still running.
 */
public final class KeygateProcess implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** The running {@code keygate serve}. */
  public final Process process;

  /** {@code http://127.0.0.1:<port>}. */
  public final String base;

  private final StringBuffer output = new StringBuffer();
  private final Thread pump;

  private KeygateProcess(Process process, int port) {
    this.process = process;
    this.base = "http://127.0.0.1:" + port;
    this.pump = pump(process.getInputStream(), output);
  }

  /**
   * Starts {@code keygate serve --port <port> --data-dir <dataDir>} with {@code env} added to its
   * environment and waits until {@code /healthz} answers 200; fails with the server's output if it
   * exits or is not healthy within {@code healthyWithin}.
   */
  public static KeygateProcess serve(
      Path dataDir, int port, Map<String, String> env, Duration healthyWithin) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(
                java(),
                "-jar",
                jar(),
                "serve",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dataDir.toString())
            .redirectErrorStream(true);
    pb.environment().putAll(env);
    KeygateProcess p = new KeygateProcess(pb.start(), port);
    p.awaitHealthy(healthyWithin);
    return p;
  }

  private void awaitHealthy(Duration within) {
    HttpRequest health = HttpRequest.newBuilder(URI.create(base + "/healthz")).build();
    try {
      await("server healthy")
          .atMost(within)
          .ignoreExceptionsInstanceOf(IOException.class) // not listening yet
          .until(
              () -> {
                assertThat(process.isAlive()).as("server exited early:\n%s", output).isTrue();
                return HTTP.send(health, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "server not healthy within " + within.toSeconds() + " s:\n" + output, e);
    }
  }

  /** What the server wrote so far (stdout and stderr); after it ended, all of it. */
  public String output() throws InterruptedException {
    if (!process.isAlive()) {
      pump.join(5_000);
    }
    return output.toString();
  }

  /** Kills the server if it still runs. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * {@code keygate admin create-token --data-dir <dataDir>}: asserts it exits 0 within {@code
   * within} and returns its standard output (the token and a line end; standard error is dropped).
   */
  public static String adminToken(Path dataDir, Duration within)
      throws IOException, InterruptedException {
    Process create =
        new ProcessBuilder(
                java(), "-jar", jar(), "admin", "create-token", "--data-dir", dataDir.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String stdout = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(create.waitFor(within.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(create.exitValue()).isZero();
    return stdout;
  }

  /**
   * {@code keygate audit verify --data-dir <dataDir>} exits 0 within {@code within} and says the
   * chain is intact.
   */
  public static void assertAuditChainIntact(Path dataDir, Duration within)
      throws IOException, InterruptedException {
    Process audit =
        new ProcessBuilder(
                java(), "-jar", jar(), "audit", "verify", "--data-dir", dataDir.toString())
            .redirectErrorStream(true)
            .start();
    String auditOut = new String(audit.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(audit.waitFor(within.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(audit.exitValue()).as(auditOut).isZero();
    assertThat(auditOut).contains("audit chain intact");
  }

  /** A loopback port that was free a moment ago. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static Thread pump(InputStream in, StringBuffer sink) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[8192];
              try {
                for (int n; (n = in.read(buf)) > 0; ) {
                  sink.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
              } catch (IOException ignored) {
                // process ended
              }
            },
            "server-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String jar() {
    Path jar = Path.of(System.getProperty("keygate.jar", "target/keygate.jar"));
    assertThat(Files.isRegularFile(jar)).as("built jar %s", jar).isTrue();
    return jar.toString();
  }
}
