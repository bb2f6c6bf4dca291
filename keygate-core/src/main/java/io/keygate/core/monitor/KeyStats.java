package io.keygate.core.monitor;

import java.util.Map;

/**
 * Figures over the keys active at a moment (admin tokens excluded), for the security report.
 *
 * @param active active keys
 * @param withIpAllowlist of which have an IP allowlist
 * @param withRateLimits of which have at least one rate limit
 * @param withExpiry of which have an expiry
 * @param byPepperVersion active keys per pepper version of their stored hash
 */
public record KeyStats(
    long active,
    long withIpAllowlist,
    long withRateLimits,
    long withExpiry,
    Map<Integer, Long> byPepperVersion) {
  /** Copies the map. */
  public KeyStats {
    byPepperVersion = Map.copyOf(byPepperVersion);
  }
}
