package io.keygate.core.notify;

import io.keygate.core.events.OutboxEvent;
import java.time.Instant;
import java.util.List;

/**
 * An outbox event with the state of its deliveries.
 *
 * @param event the event
 * @param dispatchedAt when deliveries were created for it, or {@code null} if not yet
 * @param deliveries one per channel of its owner at dispatch time
 */
public record EventDeliveries(OutboxEvent event, Instant dispatchedAt, List<Delivery> deliveries) {
  /** Copies the list. */
  public EventDeliveries {
    deliveries = List.copyOf(deliveries);
  }
}
