package io.keygate.core.events;

import java.util.List;

/** The notification event types an owner can receive. */
public final class EventTypes {
  public static final String KEY_CREATED = "key.created";
  public static final String KEY_ROTATED = "key.rotated";
  public static final String KEY_REVOKED = "key.revoked";
  public static final String KEY_EXPIRING = "key.expiring";
  public static final String KEY_EXPIRED = "key.expired";
  public static final String KEY_LEAKED = "key.leaked";
  public static final String KEY_EXPOSED_IN_URL = "key.exposed_in_url";
  public static final String ANOMALY_DETECTED = "anomaly.detected";
  public static final String CANARY_TRIGGERED = "canary.triggered";
  public static final String RATELIMIT_EXCEEDED = "ratelimit.exceeded";

  /** Every type, in documentation order. */
  public static final List<String> ALL =
      List.of(
          KEY_CREATED,
          KEY_ROTATED,
          KEY_REVOKED,
          KEY_EXPIRING,
          KEY_EXPIRED,
          KEY_LEAKED,
          KEY_EXPOSED_IN_URL,
          ANOMALY_DETECTED,
          CANARY_TRIGGERED,
          RATELIMIT_EXCEEDED);

  private EventTypes() {}
}
