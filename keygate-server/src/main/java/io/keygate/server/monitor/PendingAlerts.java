package io.keygate.server.monitor;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * Alerts a {@link Detector} queues on the hot path and raises at its next tick, in the order
 * queued. Thread-safe: {@link #add} is lock-free; {@link #raiseAll} runs under the detector's tick
 * lock.
 */
final class PendingAlerts {
  private final ConcurrentLinkedQueue<AnomalyDetector.Pending> queued =
      new ConcurrentLinkedQueue<>();

  /** Queues {@code p} for the next tick. */
  void add(AnomalyDetector.Pending p) {
    queued.add(p);
  }

  /** Raises every queued alert, emptying the queue; returns how many were new. */
  int raiseAll(Predicate<AnomalyDetector.Pending> raise) {
    int raised = 0;
    for (AnomalyDetector.Pending p; (p = queued.poll()) != null; ) {
      raised += raise.test(p) ? 1 : 0;
    }
    return raised;
  }
}
