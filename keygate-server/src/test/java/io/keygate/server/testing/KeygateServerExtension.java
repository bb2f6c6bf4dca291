package io.keygate.server.testing;

import io.keygate.server.KeygateServer;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.ServerConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one way tests run an in-process Keygate server: a real {@link KeygateServer} on a random
 * loopback port over real SQLite in the data directory the test names, with a {@link
 * io.keygate.core.testing.ManualClock} unless told otherwise and an all-scopes admin token (see
 * {@link TestServer} for the HTTP helpers).
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
 */
public final class KeygateServerExtension
    implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {
  private final Deque<TestServer> classServers = new ArrayDeque<>();
  private Deque<TestServer> testServers;

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
    TestServer t = new TestServer(tweak.apply(TestServer.config(dataDir)), wiring);
    (testServers != null ? testServers : classServers).push(t);
    return t;
  }

  /**
   * A server for leak response tests: {@code leaks} configured and the system clock (leak response
   * times are measured), with {@link LeakServer}'s raw-body helpers.
   */
  public LeakServer startLeaks(Path dataDir, LeakConfig leaks) {
    return new LeakServer(start(dataDir, c -> c, b -> b.clock(Clock.systemUTC()).leaks(leaks)));
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    testServers = new ArrayDeque<>();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Deque<TestServer> started = testServers;
    testServers = null;
    closeAll(started);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    closeAll(classServers);
  }

  private static void closeAll(Deque<TestServer> servers) {
    RuntimeException failure = null;
    while (!servers.isEmpty()) {
      try {
        servers.pop().close();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
