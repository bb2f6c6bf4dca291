package io.keygate.server.leaks;

import io.keygate.server.config.LeakConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.LeakServer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the leak tests that run against a leak-response server with the default leak settings,
 * started before each test in {@code data} under the test's temporary directory and closed after
 * it.
 */
abstract class LeakServerPerTest {
  @RegisterExtension final KeygateServerExtension servers = new KeygateServerExtension();

  /** This test's temporary directory. */
  @TempDir Path dir;

  /** This test's server. */
  LeakServer s;

  @BeforeEach
  void startServer() {
    s = servers.startLeaks(dir.resolve("data"), LeakConfig.defaults());
  }
}
