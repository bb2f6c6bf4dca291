package io.keygate.server.monitor;

import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.monitor.Alert;
import io.keygate.core.store.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The {@code late_grace_use} detector of {@link AnomalyDetector}: a rotated-out key used in the
 * last tenth of its grace period (measured from its successor's creation). The hot path only
 * remembers each such key's latest use ({@link #used}, thread-safe); the tick judges them ({@link
 * #judge}, under the detector's lock), reading the successor's creation once per key.
 */
final class LateGraceUse implements Detector {
  private final KeyStore keys;
  private final ConcurrentHashMap<String, AnomalyDetector.Pending> uses = new ConcurrentHashMap<>();
  // tick-thread state
  private final Map<String, Instant> graceStarts = new HashMap<>();

  /** {@code keys} (may be {@code null}) is read for a successor's creation time. */
  LateGraceUse(KeyStore keys) {
    this.keys = keys;
  }

  /** A key in a rotation grace period was used at {@code at} (the hot path). */
  void used(ApiKeyRecord key, Instant at) {
    uses.put(key.keyId(), new AnomalyDetector.Pending(key, Alert.LATE_GRACE_USE, at, Map.of()));
  }

  /** Judges the uses since the last call; {@code raise} stores an alert, true when new. */
  @Override
  public int judge(Instant now, Predicate<AnomalyDetector.Pending> raise) {
    int raised = 0;
    for (String id : List.copyOf(uses.keySet())) {
      AnomalyDetector.Pending p = uses.remove(id);
      if (p == null) {
        continue;
      }
      ApiKeyRecord old = p.key();
      Instant start = graceStarts.get(id);
      if (start == null) {
        start =
            Optional.ofNullable(keys)
                .flatMap(s -> s.findById(old.rotatedTo()))
                .map(ApiKeyRecord::createdAt)
                .orElse(old.updatedAt());
        graceStarts.put(id, start);
      }
      Duration grace = Duration.between(start, old.revokesAt());
      Instant late = old.revokesAt().minus(grace.dividedBy(10));
      if (!grace.isNegative() && !p.at().isBefore(late) && p.at().isBefore(old.revokesAt())) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("rotated_to", old.rotatedTo());
        d.put("revokes_at", old.revokesAt().toString());
        d.put("grace_left_seconds", Duration.between(p.at(), old.revokesAt()).toSeconds());
        raised +=
            raise.test(new AnomalyDetector.Pending(old, Alert.LATE_GRACE_USE, p.at(), d)) ? 1 : 0;
      }
    }
    return raised;
  }
}
