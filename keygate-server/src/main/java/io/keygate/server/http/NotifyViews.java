package io.keygate.server.http;

import io.keygate.core.notify.Delivery;
import io.keygate.core.notify.EmailChannel;
import io.keygate.core.notify.EventDeliveries;
import io.keygate.core.notify.Owner;
import io.keygate.core.notify.Webhook;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Request and response bodies of owners and events. No view ever holds a webhook secret. */
final class NotifyViews {
  private NotifyViews() {}

  record WebhookBody(String url, String secret) {}

  record CreateOwnerBody(
      String ownerId, String name, List<WebhookBody> webhooks, List<String> emails) {}

  record PatchOwnerBody(String name, List<WebhookBody> webhooks, List<String> emails) {}

  record WebhookView(String id, String url, boolean secretSet, String secretHint) {
    static WebhookView of(Webhook w) {
      return new WebhookView(w.channelId(), w.url(), true, w.secretHint());
    }
  }

  /** An email channel; {@code active} is false while the server has no SMTP server. */
  record EmailView(String id, String address, boolean active) {
    static EmailView of(EmailChannel e, boolean active) {
      return new EmailView(e.channelId(), e.address(), active);
    }
  }

  record OwnerView(
      String ownerId,
      String name,
      List<WebhookView> webhooks,
      List<EmailView> emails,
      Instant createdAt,
      Instant updatedAt) {
    static OwnerView of(Owner o, boolean emailActive) {
      return new OwnerView(
          o.ownerId(),
          o.name(),
          o.webhooks().stream().map(WebhookView::of).toList(),
          o.emails().stream().map(e -> EmailView.of(e, emailActive)).toList(),
          o.createdAt(),
          o.updatedAt());
    }
  }

  record DeliveryView(
      String deliveryId,
      String channelId,
      String channel,
      String status,
      int attempts,
      String lastError,
      Integer lastStatus,
      Instant nextAttemptAt,
      Instant deliveredAt,
      Instant updatedAt) {
    static DeliveryView of(Delivery d) {
      return new DeliveryView(
          d.deliveryId(),
          d.channelId(),
          d.channelKind(),
          d.status().wire(),
          d.attempts(),
          d.lastError(),
          d.lastStatus(),
          d.nextAttemptAt(),
          d.deliveredAt(),
          d.updatedAt());
    }
  }

  record EventView(
      String id,
      String type,
      Instant createdAt,
      String ownerId,
      String keyId,
      Map<String, Object> data,
      Instant dispatchedAt,
      List<DeliveryView> deliveries) {
    static EventView of(EventDeliveries e) {
      return new EventView(
          e.event().eventId(),
          e.event().type(),
          e.event().createdAt(),
          e.event().ownerId(),
          e.event().keyId(),
          e.event().data(),
          e.dispatchedAt(),
          e.deliveries().stream().map(DeliveryView::of).toList());
    }
  }
}
