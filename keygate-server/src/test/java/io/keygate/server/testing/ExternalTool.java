package io.keygate.server.testing;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * The one rule for tests that need a program the JDK does not bring (Chromium and Node for the UI,
 * nginx and Caddy in front of the server): without it the test is skipped with a printed reason, so
 * that {@code ./mvnw verify} passes on a machine with only a JDK; with {@code
 * KEYGATE_REQUIRE_TOOLS=true} (set by {@code .ci/run}, which installs them) a missing program fails
 * the test instead, so CI can never pass by skipping.
 */
public final class ExternalTool {
  /** The environment variable that turns a skip into a failure. */
  public static final String REQUIRE = "KEYGATE_REQUIRE_TOOLS";

  private ExternalTool() {}

  /** Skips (or, when tools are required, fails) the calling test unless {@code present}. */
  public static void require(String test, boolean present, String why) {
    if (present) {
      return;
    }
    String message = test + " skipped: " + why;
    if ("true".equalsIgnoreCase(System.getenv(REQUIRE))) {
      fail(test + " cannot run and " + REQUIRE + "=true: " + why);
    }
    System.out.println(message);
    Assumptions.abort(message);
  }
}
