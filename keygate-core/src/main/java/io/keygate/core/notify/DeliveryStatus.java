package io.keygate.core.notify;

import java.util.Locale;

/** State of one event's delivery to one channel. */
public enum DeliveryStatus {
  /** Not delivered yet; tried again at {@code next_attempt_at}. */
  PENDING,
  /** The channel accepted it (2xx / SMTP accepted). */
  DELIVERED,
  /** Retries exhausted (dead letter). */
  DEAD,
  /** The channel was removed before the event could be delivered. */
  CANCELLED;

  /** The snake_case name used in the API and the store. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a wire name. */
  public static DeliveryStatus fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
