package io.keygate.server.monitor;

import io.keygate.core.events.OutboxEvent;
import io.keygate.core.monitor.Alert;
import io.keygate.core.monitor.AnomalyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The {@code brute_force} detector of {@link AnomalyDetector}: mirrors the brute-force blocks the
 * verifier wrote (as outbox events, by any node) as alerts, one per block, polled at most every
 * {@link #POLL_INTERVAL}. Starts five minutes back, so a block written just before a restart is
 * still mirrored; an alert id derived from the event id makes a repeat harmless. Not thread-safe:
 * the detector's tick calls it under its lock.
 */
final class BruteForceAlerts implements Detector {
  /** Shortest interval between two polls of the store. */
  static final Duration POLL_INTERVAL = Duration.ofSeconds(5);

  private static final int BATCH = 500;

  private final AnomalyStore store;
  private Instant after;
  private long lastPoll;

  BruteForceAlerts(AnomalyStore store, Clock clock) {
    this.store = store;
    this.after = clock.instant().minus(Duration.ofMinutes(5));
  }

  /**
   * Raises alerts for blocks written since the last poll (directly in the store: their ids come
   * from the events, so the store deduplicates them); returns how many were new.
   */
  @Override
  public int judge(Instant now, Predicate<AnomalyDetector.Pending> raise) {
    long nowMs = now.toEpochMilli();
    if (lastPoll != 0 && Math.abs(nowMs - lastPoll) < POLL_INTERVAL.toMillis()) {
      return 0;
    }
    lastPoll = nowMs;
    int raised = 0;
    for (OutboxEvent e : store.bruteForceBlocks(after, BATCH)) {
      after = e.createdAt();
      Map<String, Object> d = new LinkedHashMap<>(e.data());
      d.remove("kind");
      d.put("event_id", e.eventId());
      Alert a =
          new Alert(
              "alr_" + e.eventId().replace("evt_", ""),
              null,
              null,
              Alert.BRUTE_FORCE,
              e.createdAt(),
              Alert.OPEN,
              d,
              e.createdAt(),
              null,
              null);
      raised += store.raise(a, null) ? 1 : 0;
    }
    return raised;
  }
}
