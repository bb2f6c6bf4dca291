package io.keygate.core.events;

import io.keygate.core.key.KeyFormat;
import io.keygate.core.model.ApiKeyRecord;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
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
    data = data == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(data));
  }

  /**
   * An event of {@code type} about key {@code rec}, for its owner, with a fresh {@code evt_} id:
   * {@code data} after the key's id, hint, type and name (never key material).
   */
  public static OutboxEvent forKey(
      String type, ApiKeyRecord rec, Instant at, Map<String, Object> data, SecureRandom random) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("key_id", rec.keyId());
    d.put("key_hint", rec.hint());
    d.put("key_type", rec.type());
    d.put("key_name", rec.settings().name());
    d.putAll(data);
    return new OutboxEvent(
        "evt_" + KeyFormat.randomBase62(random, 24), type, rec.ownerId(), rec.keyId(), at, d);
  }
}
