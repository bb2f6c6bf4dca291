package io.keygate.server.http;

import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the route tests that run against a server with the default test configuration, started
 * before each test in the test's own temporary data directory and closed after it.
 */
abstract class ServerPerTest {
  @RegisterExtension final KeygateServerExtension servers = new KeygateServerExtension();

  /** This test's data directory. */
  @TempDir Path dir;

  /** This test's server. */
  TestServer t;

  @BeforeEach
  void startServer() {
    t = servers.start(dir);
  }
}
