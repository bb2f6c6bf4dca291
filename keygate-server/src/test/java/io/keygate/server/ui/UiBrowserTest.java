package io.keygate.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.server.testing.ExternalTool;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin UI in a real browser: starts a real Keygate server over SQLite on a random port and
 * runs {@code src/test/ui/ui.test.mjs} (playwright-core driving Debian's headless Chromium,
 * axe-core for accessibility) against it. Screenshots land in {@code target/ui-screenshots/}.
 *
 * <p>Skipped, with a line saying why, when {@code node}, the npm packages ({@code npm ci --prefix
 * keygate-server/src/test/ui}) or {@code /usr/bin/chromium} are missing, so a machine with only a
 * JDK still builds; {@code .ci/run} installs all three so CI runs it.
 */
class UiBrowserTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final Path UI_TESTS = Paths.get("src/test/ui");
  private static final Path CHROMIUM =
      Paths.get(System.getenv().getOrDefault("KEYGATE_CHROMIUM", "/usr/bin/chromium"));
  private static final long TIMEOUT_MINUTES = 8;

  @TempDir Path dir;

  @Test
  void adminUi_signInCreateReadOnceRotateRevokeAudit_inChromium() throws Exception {
    String node = findNode();
    skipUnless(node != null, "node is not on the PATH");
    skipUnless(
        Files.isDirectory(UI_TESTS.resolve("node_modules/playwright-core"))
            && Files.isDirectory(UI_TESTS.resolve("node_modules/axe-core")),
        "npm packages are not installed (npm ci --prefix keygate-server/src/test/ui)");
    skipUnless(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing (apt-get install chromium)");

    Path shots = Paths.get("target/ui-screenshots").toAbsolutePath();
    try (TestServer t = servers.start(dir.resolve("data"));
        RealTime ignored = new RealTime(t)) {
      ProcessBuilder pb =
          new ProcessBuilder(node, "--test", "--test-reporter=spec", "ui.test.mjs")
              .directory(UI_TESTS.toFile())
              .redirectErrorStream(true);
      pb.environment().put("KEYGATE_URL", t.base);
      pb.environment().put("KEYGATE_TOKEN", t.token(null, null));
      pb.environment().put("KEYGATE_OWNER_TOKEN", t.token("acme", null));
      pb.environment().put("SCREENSHOT_DIR", shots.toString());
      pb.environment().put("CHROMIUM", CHROMIUM.toString());
      Process p = pb.start();
      StringBuilder out = new StringBuilder();
      Thread pump = new Thread(() -> copy(p.getInputStream(), out), "ui-test-output");
      pump.start();
      boolean done = p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
      if (!done) {
        p.destroyForcibly();
      }
      pump.join(10_000);
      assertThat(done).as("browser test finished in time; output:%n%s", out).isTrue();
      assertThat(p.exitValue()).as("browser test exit code; output:%n%s", out).isZero();
    }
  }

  /**
   * Keeps the test server's manual clock on the wall clock while the browser runs: the UI compares
   * server times (expiry, grace deadlines) with the browser's own clock.
   */
  private static final class RealTime implements AutoCloseable {
    private final ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread th = new Thread(r, "ui-test-clock");
              th.setDaemon(true);
              return th;
            });

    RealTime(TestServer t) {
      t.clock.set(Instant.now());
      ticker.scheduleAtFixedRate(() -> t.clock.set(Instant.now()), 100, 100, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
      ticker.shutdownNow();
    }
  }

  private static void skipUnless(boolean condition, String why) {
    ExternalTool.require("UiBrowserTest", condition, why);
  }

  private static void copy(InputStream in, StringBuilder out) {
    try (in) {
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        String s = new String(buf, 0, n, StandardCharsets.UTF_8);
        System.out.print(s);
        synchronized (out) {
          out.append(s);
        }
      }
    } catch (IOException e) {
      synchronized (out) {
        out.append("[output lost: ").append(e.getMessage()).append(']');
      }
    }
  }

  private static String findNode() {
    for (String dirName : System.getenv().getOrDefault("PATH", "").split(":")) {
      for (String name : List.of("node", "nodejs")) {
        Path c = Paths.get(dirName.isEmpty() ? "." : dirName, name);
        if (Files.isExecutable(c)) {
          return c.toString();
        }
      }
    }
    return null;
  }
}
