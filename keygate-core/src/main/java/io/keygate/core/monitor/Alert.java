package io.keygate.core.monitor;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An anomaly alert. At most one exists per key, type and window ({@code windowStart}), so a pattern
 * that persists raises one alert per window, not one per request.
 *
 * @param alertId unique id ({@code alr_…})
 * @param keyId the key concerned, or {@code null} for alerts about no key (brute force)
 * @param ownerId the key's owner, or {@code null}
 * @param type one of {@link #TYPES}
 * @param windowStart start of the deduplication window the alert belongs to
 * @param status {@code open} or {@code acknowledged}
 * @param details JSON-compatible facts (never key material)
 * @param createdAt when it was raised
 * @param acknowledgedAt when acknowledged, or {@code null}
 * @param acknowledgedBy who acknowledged it, or {@code null}
 */
public record Alert(
    String alertId,
    String keyId,
    String ownerId,
    String type,
    Instant windowStart,
    String status,
    Map<String, Object> details,
    Instant createdAt,
    Instant acknowledgedAt,
    String acknowledgedBy) {
  /** Traffic far above the key's own baseline. */
  public static final String TRAFFIC_SPIKE = "traffic_spike";

  /** Use from a network never seen for the key after its learning period. */
  public static final String NEW_NETWORK = "new_network";

  /** Many denials (scope, IP, rate) of one key within a minute. */
  public static final String DENIAL_BURST = "denial_burst";

  /** An old key used in the last tenth of its rotation grace period. */
  public static final String LATE_GRACE_USE = "late_grace_use";

  /** A canary key was presented. */
  public static final String CANARY = "canary";

  /** An address was blocked for presenting many invalid keys. */
  public static final String BRUTE_FORCE = "brute_force";

  /** Every type. */
  public static final List<String> TYPES =
      List.of(TRAFFIC_SPIKE, NEW_NETWORK, DENIAL_BURST, LATE_GRACE_USE, CANARY, BRUTE_FORCE);

  /** Open. */
  public static final String OPEN = "open";

  /** Acknowledged. */
  public static final String ACKNOWLEDGED = "acknowledged";

  /** Checks required fields and copies the details. */
  public Alert {
    Objects.requireNonNull(alertId, "alertId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(windowStart, "windowStart");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    details =
        details == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }
}
