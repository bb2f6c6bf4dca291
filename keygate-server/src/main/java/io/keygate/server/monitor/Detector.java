package io.keygate.server.monitor;

import java.time.Instant;
import java.util.function.Predicate;

/**
 * One of {@link AnomalyDetector}'s detectors. Whatever a detector collects on the verification hot
 * path it collects through its own typed methods (called by {@link AnomalyDetector}, lock-free);
 * {@link #judge} then runs on the detector's tick, under its lock, and turns what was collected
 * into alerts.
 */
interface Detector {
  /**
   * Judges what was collected since the last call.
   *
   * @param now the tick's time
   * @param raise stores an alert; true when it was new (not deduplicated)
   * @return alerts newly stored
   */
  int judge(Instant now, Predicate<AnomalyDetector.Pending> raise);

  /** Drops what is remembered about {@code keyId}, whose state went idle. */
  default void forget(String keyId) {}
}
