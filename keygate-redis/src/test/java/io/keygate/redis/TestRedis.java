package io.keygate.redis;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * The Redis server tests run against: the one on {@code 127.0.0.1:6379} when it answers, else an
 * embedded redis-server started from the binaries in {@code org.signal:embedded-redis}. Both are
 * real servers. Tests isolate themselves with a fresh key prefix ({@link #newPrefix()}).
 *
 * <p>The choice can be forced with system property {@value #MODE_PROPERTY} or environment variable
 * {@value #MODE_ENV}: {@code auto} (default), {@code local} or {@code embedded}. Tests that stop
 * and restart Redis start their own with {@link #startDedicated()}.
 *
 * <p>Published in this module's test-jar. Thread-safe.
 */
public final class TestRedis {
  public static final String MODE_PROPERTY = "keygate.test.redis";
  public static final String MODE_ENV = "KEYGATE_TEST_REDIS";
  public static final int LOCAL_PORT = 6379;

  private static final Logger log = LoggerFactory.getLogger(TestRedis.class);
  private static final String RUN_ID = randomHex(4);
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static TestRedis instance;

  private final String uri;
  private final String description;

  private TestRedis(String uri, String description) {
    this.uri = uri;
    this.description = description;
  }

  /** The shared server for this JVM, chosen (and an embedded one started) on first use. */
  public static synchronized TestRedis get() {
    if (instance == null) {
      String mode = System.getProperty(MODE_PROPERTY);
      if (mode == null || mode.isBlank()) {
        mode = System.getenv().getOrDefault(MODE_ENV, "auto");
      }
      instance =
          switch (mode.toLowerCase(Locale.ROOT)) {
            case "local" -> {
              if (!answers(LOCAL_PORT)) {
                throw new IllegalStateException(MODE_PROPERTY + "=local but no Redis on 6379");
              }
              yield new TestRedis(localUri(), "local Redis at 127.0.0.1:6379");
            }
            case "embedded" -> embeddedShared();
            case "auto" ->
                answers(LOCAL_PORT)
                    ? new TestRedis(localUri(), "local Redis at 127.0.0.1:6379")
                    : embeddedShared();
            default ->
                throw new IllegalStateException(MODE_PROPERTY + " must be auto/local/embedded");
          };
      log.info("Tests use {}", instance.description);
    }
    return instance;
  }

  private static String localUri() {
    return "redis://127.0.0.1:" + LOCAL_PORT;
  }

  private static TestRedis embeddedShared() {
    Dedicated d = startDedicated();
    Runtime.getRuntime().addShutdownHook(new Thread(d::stop, "embedded-redis-stop"));
    return new TestRedis(d.uri(), "embedded Redis at " + d.uri());
  }

  /** Redis URI of the shared server. */
  public String uri() {
    return uri;
  }

  /** Description for logs. */
  public String description() {
    return description;
  }

  /** A key prefix not used before: {@code kgtest:<run>:<n>:}. */
  public String newPrefix() {
    return "kgtest:" + RUN_ID + ":" + PREFIXES.incrementAndGet() + ":";
  }

  /** Starts a private embedded redis-server on a free port, for tests that stop and restart it. */
  public static Dedicated startDedicated() {
    Dedicated d = new Dedicated(freePort());
    d.start();
    return d;
  }

  /** A redis-server this test owns: it may stop and restart it (same port). */
  public static final class Dedicated {
    private final int port;
    private RedisServer server;

    Dedicated(int port) {
      this.port = port;
    }

    /** Starts (or restarts) the server. */
    public synchronized void start() {
      try {
        server =
            RedisServer.builder()
                .port(port)
                .bind("127.0.0.1")
                .setting("save \"\"")
                .setting("appendonly no")
                .build();
        server.start();
      } catch (RuntimeException e) {
        throw new IllegalStateException("could not start embedded Redis on " + port, e);
      }
      await("embedded Redis answering on " + port)
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> answers(port));
    }

    /** Stops the server (its data is lost). */
    public synchronized void stop() {
      if (server != null) {
        try {
          server.stop();
        } catch (RuntimeException e) {
          log.warn("stopping embedded Redis failed", e);
        }
        server = null;
      }
    }

    public int port() {
      return port;
    }

    public String uri() {
      return "redis://127.0.0.1:" + port;
    }
  }

  static boolean answers(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 300);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      s.setSoTimeout(1000);
      byte[] b = new byte[5];
      int n = s.getInputStream().read(b);
      return n > 0 && b[0] == '+';
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
