package io.keygate.server.config;

import io.keygate.core.model.RateLimit;
import io.keygate.core.verify.BruteForceGuard;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Per-key enforcement settings the server adds to the core: default rate limits by key type and the
 * brute-force guard. Read from environment variables ({@link Settings}); validated on construction.
 *
 * <table>
 *   <caption>Variables</caption>
 *   <tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>{@code KEYGATE_DEFAULT_RATE_LIMITS}</td><td>none</td><td>limits for keys without
 *       their own, e.g. {@code live_secret=1000/hour,burst:20/second;test_secret=100/minute}</td></tr>
 *   <tr><td>{@code KEYGATE_BRUTE_FORCE_THRESHOLD}</td><td>20</td><td>invalid keys per window
 *       before an address is blocked; 0 turns the guard off</td></tr>
 *   <tr><td>{@code KEYGATE_BRUTE_FORCE_WINDOW_SECONDS}</td><td>60</td><td>counting window</td></tr>
 *   <tr><td>{@code KEYGATE_BRUTE_FORCE_BLOCK_SECONDS}</td><td>60</td><td>first block; doubles on
 *       each repeat</td></tr>
 *   <tr><td>{@code KEYGATE_BRUTE_FORCE_MAX_BLOCK_SECONDS}</td><td>3600</td><td>longest
 *       block</td></tr>
 * </table>
 *
 * @param defaultRateLimits limits by key type name for keys that have none of their own
 * @param bruteForce the guard's policy, or {@code null} when it is off
 */
public record EnforcementConfig(
    Map<String, List<RateLimit>> defaultRateLimits, BruteForceGuard.Policy bruteForce) {

  /** Copies the map. */
  public EnforcementConfig {
    Objects.requireNonNull(defaultRateLimits, "defaultRateLimits");
    Map<String, List<RateLimit>> m = new LinkedHashMap<>();
    defaultRateLimits.forEach((k, v) -> m.put(k, List.copyOf(v)));
    defaultRateLimits = Collections.unmodifiableMap(m);
  }

  /** No default limits; the brute-force guard on with its defaults. */
  public static EnforcementConfig defaults() {
    return fromEnv(Map.of());
  }

  /** Reads the {@code KEYGATE_*} variables listed above, through {@link Settings}. */
  public static EnforcementConfig fromEnv(Map<String, String> env) {
    int threshold = Settings.BRUTE_FORCE_THRESHOLD.from(env);
    BruteForceGuard.Policy policy =
        threshold == 0
            ? null
            : new BruteForceGuard.Policy(
                threshold,
                Settings.BRUTE_FORCE_WINDOW.from(env),
                Settings.BRUTE_FORCE_BLOCK.from(env),
                Settings.BRUTE_FORCE_MAX_BLOCK.from(env));
    return new EnforcementConfig(Settings.DEFAULT_RATE_LIMITS.from(env), policy);
  }

  /**
   * Parses {@code type=limit,limit;type=limit} where a limit is {@code N/unit} or {@code
   * name:N/unit} (unit: second, minute, hour, day; an unnamed limit is named after its unit).
   */
  public static Map<String, List<RateLimit>> parseDefaultLimits(String spec) {
    Map<String, List<RateLimit>> out = new LinkedHashMap<>();
    for (String entry : spec.split(";")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException(
            "KEYGATE_DEFAULT_RATE_LIMITS entries look like type=1000/hour,burst:20/second; got '"
                + entry.strip()
                + "'");
      }
      String type = entry.substring(0, eq).strip();
      List<RateLimit> limits = new ArrayList<>();
      for (String l : entry.substring(eq + 1).split(",")) {
        if (l.isBlank()) {
          continue;
        }
        String s = l.strip();
        int colon = s.indexOf(':');
        String name =
            colon > 0 ? s.substring(0, colon).strip() : s.substring(s.indexOf('/') + 1).strip();
        try {
          RateLimit r = RateLimit.parse(name, colon > 0 ? s.substring(colon + 1) : s);
          if (limits.stream().anyMatch(x -> x.name().equals(r.name()))) {
            throw new IllegalArgumentException("duplicate limit name '" + r.name() + "'");
          }
          limits.add(r);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "KEYGATE_DEFAULT_RATE_LIMITS for " + type + ": " + e.getMessage(), e);
        }
      }
      if (out.put(type, limits) != null) {
        throw new IllegalArgumentException(
            "KEYGATE_DEFAULT_RATE_LIMITS names type " + type + " twice");
      }
    }
    return out;
  }
}
