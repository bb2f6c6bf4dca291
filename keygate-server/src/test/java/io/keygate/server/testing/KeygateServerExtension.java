package io.keygate.server.testing;

import io.keygate.server.KeygateServer;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one way tests run an in-process Keygate server: a real {@link KeygateServer} on a random
 * loopback port over real SQLite in the data directory the test names, with a {@link
 * io.keygate.core.testing.ManualClock} unless told otherwise and an all-scopes admin token (see
 * {@link TestServer} for the HTTP helpers). Every start goes through {@link #start(ServerConfig,
 * UnaryOperator)}: build, start, wait until it serves, and register it for closing.
 *
 * <pre>{@code
 * @RegisterExtension final KeygateServerExtension servers = new KeygateServerExtension();
 * @TempDir Path dir;
 *
 * @Test void something() {
 *   TestServer t = servers.start(dir);
 *   ...
 * }
 * }</pre>
 *
 * <p>Every server started during a test (in the test or its {@code @BeforeEach}) is closed after
 * it, last started first, whether the test passed or not; a server started in a {@code @BeforeAll}
 * (the extension in a {@code static} field) is closed after the class. Closing a server earlier (a
 * restart on the same directory) is fine: closing is idempotent.
 *
 * <p>Outside JUnit Jupiter's callbacks (jqwik's {@code @BeforeContainer}, which runs no JUnit
 * extension, or a helper such as a cluster that owns its nodes) the extension is a plain {@link
 * AutoCloseable}: {@link #close()} closes what it started and deletes the directories of {@link
 * #startInTempDir}.
 */
public final class KeygateServerExtension
    implements BeforeEachCallback, AfterEachCallback, AfterAllCallback, AutoCloseable {
  private final Deque<AutoCloseable> classResources = new ArrayDeque<>();
  private Deque<AutoCloseable> testResources;

  /** A server with the default test configuration in {@code dataDir}. */
  public TestServer start(Path dataDir) {
    return start(dataDir, c -> c, b -> b);
  }

  /** A server whose default test configuration {@code tweak} adjusts. */
  public TestServer start(Path dataDir, UnaryOperator<ServerConfig> tweak) {
    return start(dataDir, tweak, b -> b);
  }

  /**
   * A server whose configuration {@code tweak} and whose builder {@code wiring} adjust ({@code
   * wiring} runs last, so it may replace the manual clock, e.g. {@code b -> b.clock(clock)}).
   */
  public TestServer start(
      Path dataDir,
      UnaryOperator<ServerConfig> tweak,
      UnaryOperator<KeygateServer.Builder> wiring) {
    return start(tweak.apply(TestServer.config(dataDir)), wiring);
  }

  /**
   * The one start path: a server with {@code config} (e.g. {@link TestServer#config} adjusted, or a
   * cluster node's configuration read from its environment) whose builder {@code wiring} adjusts
   * after the manual clock is set. Returns once the server answers on its port; if building or
   * starting fails, the exception propagates and nothing is left open.
   */
  public TestServer start(ServerConfig config, UnaryOperator<KeygateServer.Builder> wiring) {
    return register(new TestServer(config, wiring));
  }

  /**
   * A server like {@link #start(Path, UnaryOperator, UnaryOperator)} in a new temporary directory
   * that is deleted after the server closes (for jqwik containers, which have no {@code @TempDir}).
   */
  public TestServer startInTempDir(
      UnaryOperator<ServerConfig> tweak, UnaryOperator<KeygateServer.Builder> wiring) {
    Path dir;
    try {
      dir = Files.createTempDirectory("keygate-test");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    register(() -> deleteTree(dir));
    return start(dir, tweak, wiring);
  }

  /**
   * A server for leak response tests: {@code leaks} configured and the system clock (leak response
   * times are measured), with {@link LeakServer}'s raw-body helpers.
   */
  public LeakServer startLeaks(Path dataDir, LeakConfig leaks) {
    return new LeakServer(start(dataDir, c -> c, b -> b.clock(Clock.systemUTC()).leaks(leaks)));
  }

  private <T extends AutoCloseable> T register(T resource) {
    (testResources != null ? testResources : classResources).push(resource);
    return resource;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    testResources = new ArrayDeque<>();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Deque<AutoCloseable> started = testResources;
    testResources = null;
    closeAll(started);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    closeAll(classResources);
  }

  /** Closes every server this extension started and still holds, last started first. */
  @Override
  public void close() {
    if (testResources != null) {
      closeAll(testResources);
    }
    closeAll(classResources);
  }

  private static void closeAll(Deque<AutoCloseable> resources) {
    RuntimeException failure = null;
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        RuntimeException r = e instanceof RuntimeException re ? re : new IllegalStateException(e);
        if (failure == null) {
          failure = r;
        } else {
          failure.addSuppressed(r);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
