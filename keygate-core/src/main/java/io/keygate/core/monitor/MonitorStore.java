package io.keygate.core.monitor;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The store SPI for usage analytics and the security report. Implemented next to the key store over
 * the same database. Thread-safe; infrastructure faults are {@link
 * io.keygate.core.KeygateException.StoreUnavailable}.
 */
public interface MonitorStore {
  /** Adds per-minute counts (summed with what is stored for the same key, minute and outcome). */
  void addUsage(Collection<UsageCount> counts);

  /** Counts of one key in {@code [from, to)}, summed per bucket of {@code bucket} and outcome. */
  List<UsageCount> usage(String keyId, Instant from, Instant to, Duration bucket);

  /** Verifications of all keys in {@code [from, to)}; {@code outcome} null = every outcome. */
  long totalUsage(Instant from, Instant to, String outcome);

  /** Outbox events of {@code type} created at or after {@code since}. */
  long countEvents(String type, Instant since);

  /** Figures over keys active at {@code now}. */
  KeyStats keyStats(Instant now);

  /**
   * Keys per pepper version of their stored hash, for pepper retirement ({@code keygate
   * rotate-pepper --status}).
   *
   * @param liveOnly true: only keys that may still verify at {@code now} (not revoked, not past
   *     their revocation deadline or expiry; admin tokens included; imported keys not yet re-hashed
   *     left out, as they carry no pepper hash); false: every stored key
   */
  Map<Integer, Long> keysByPepperVersion(Instant now, boolean liveOnly);

  /** Leak incidents reported at or after {@code since}. */
  default LeakStats leakStats(Instant since) {
    return leakStats(since, null);
  }

  /** Leak incidents reported at or after {@code since}, of {@code ownerId} only unless null. */
  LeakStats leakStats(Instant since, String ownerId);

  /**
   * Records the settings the security report depends on, replacing those recorded before (the last
   * node to record wins; nodes of one cluster run with the same settings).
   */
  void recordReportSettings(RecordedSettings settings);

  /** The settings last recorded by {@link #recordReportSettings}, or empty when none were. */
  Optional<RecordedSettings> reportSettings();
}
