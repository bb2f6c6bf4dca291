package io.keygate.core.monitor;

/**
 * Leak incidents reported in a period, for the security report.
 *
 * @param total incidents
 * @param bySource incidents per source ({@code github}, {@code gitleaks}, {@code keygate-scan}, …)
 * @param revoked incidents whose key was revoked
 * @param avgMillisToRevocation mean of (revoked at − found at) over revoked incidents, or -1
 * @param basis where the figures come from ({@code leak_incidents} or {@code outbox events})
 */
public record LeakStats(
    long total,
    java.util.Map<String, Long> bySource,
    long revoked,
    double avgMillisToRevocation,
    String basis) {
  /** Copies the map. */
  public LeakStats {
    bySource = java.util.Map.copyOf(bySource);
  }
}
