package io.keygate.server.monitor;

import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.monitor.Alert;
import io.keygate.core.verify.VerifyRequest;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The {@code canary} detector of {@link AnomalyDetector}: mirrors the canary alarm as an alert.
 * {@link #presented} queues (thread-safe); the tick raises what was queued.
 */
final class Canaries implements Detector {
  private final Clock clock;
  private final PendingAlerts queued = new PendingAlerts();

  Canaries(Clock clock) {
    this.clock = clock;
  }

  /** The canary {@code key} was presented in {@code req}. */
  void presented(ApiKeyRecord key, VerifyRequest req) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("label", key.settings().name());
    d.put("ip", req.ip());
    queued.add(new AnomalyDetector.Pending(key, Alert.CANARY, clock.instant(), d));
  }

  @Override
  public int judge(Instant now, Predicate<AnomalyDetector.Pending> raise) {
    return queued.raiseAll(raise);
  }
}
