package io.keygate.core.events;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A notification event written to the transactional outbox in the same transaction as the change it
 * reports, so it exists exactly when the change does; delivery happens later and is retried. Never
 * carries key material: keys are named by id and hint.
 *
 * @param eventId unique id ({@code evt_…}), the receiver's idempotency key
 * @param type one of {@link EventTypes}
 * @param ownerId owner to notify, or {@code null} for operator-level events
 * @param keyId key concerned, or {@code null}
 * @param createdAt when the change happened
 * @param data JSON-compatible details (strings, numbers, booleans, lists, maps)
 */
public record OutboxEvent(
    String eventId,
    String type,
    String ownerId,
    String keyId,
    Instant createdAt,
    Map<String, Object> data) {

  /** Checks required fields and copies the data. */
  public OutboxEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(createdAt, "createdAt");
    data =
        data == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(data));
  }
}
