package io.keygate.core.notify;

import java.time.Instant;
import java.util.Objects;

/**
 * One event's delivery to one channel, with its retry state.
 *
 * @param deliveryId unique id ({@code dlv_…})
 * @param eventId the outbox event delivered
 * @param ownerId owner whose channel this is
 * @param channelId channel ({@link Webhook#channelId()} or {@link EmailChannel#channelId()})
 * @param channelKind {@code webhook} or {@code email}
 * @param status state
 * @param attempts attempts made so far
 * @param nextAttemptAt when the next attempt is due (pending only), else {@code null}
 * @param lastError why the last attempt failed, or {@code null}
 * @param lastStatus HTTP status of the last webhook attempt, or {@code null}
 * @param createdAt when the delivery was created (retries stop 24 h after by default)
 * @param updatedAt last change
 * @param deliveredAt when it was accepted, or {@code null}
 * @param leaseToken the claim a worker holds while attempting it, or {@code null}
 */
public record Delivery(
    String deliveryId,
    String eventId,
    String ownerId,
    String channelId,
    String channelKind,
    DeliveryStatus status,
    int attempts,
    Instant nextAttemptAt,
    String lastError,
    Integer lastStatus,
    Instant createdAt,
    Instant updatedAt,
    Instant deliveredAt,
    String leaseToken) {
  /** Webhook channel kind. */
  public static final String WEBHOOK = "webhook";

  /** Email channel kind. */
  public static final String EMAIL = "email";

  /** Checks required fields. */
  public Delivery {
    Objects.requireNonNull(deliveryId, "deliveryId");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(ownerId, "ownerId");
    Objects.requireNonNull(channelId, "channelId");
    Objects.requireNonNull(channelKind, "channelKind");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }

  /** A new pending delivery, due at once. */
  public static Delivery pending(
      String deliveryId,
      String eventId,
      String ownerId,
      String channelId,
      String kind,
      Instant now) {
    return new Delivery(
        deliveryId,
        eventId,
        ownerId,
        channelId,
        kind,
        DeliveryStatus.PENDING,
        0,
        now,
        null,
        null,
        now,
        now,
        null,
        null);
  }

  /** The state after an attempt. */
  public Delivery attempted(
      DeliveryStatus next, Instant nextAttempt, String error, Integer httpStatus, Instant now) {
    return changed(
        next,
        attempts + 1,
        next == DeliveryStatus.PENDING ? nextAttempt : null,
        error,
        httpStatus,
        now,
        next == DeliveryStatus.DELIVERED ? now : null);
  }

  /** Given up without an attempt (channel removed). */
  public Delivery cancelled(String why, Instant now) {
    return changed(DeliveryStatus.CANCELLED, attempts, null, why, lastStatus, now, null);
  }

  /** This delivery, same identity, lease and creation time, in a new retry state. */
  private Delivery changed(
      DeliveryStatus next,
      int attemptsMade,
      Instant nextAttempt,
      String error,
      Integer httpStatus,
      Instant now,
      Instant delivered) {
    return new Delivery(
        deliveryId,
        eventId,
        ownerId,
        channelId,
        channelKind,
        next,
        attemptsMade,
        nextAttempt,
        error,
        httpStatus,
        createdAt,
        now,
        delivered,
        leaseToken);
  }
}
