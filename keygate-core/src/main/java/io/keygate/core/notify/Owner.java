package io.keygate.core.notify;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An owner of keys and where to tell them about their keys. Contact data and secrets are sealed by
 * {@link DataCipher} before they reach the store ({@link StoredOwner}).
 *
 * @param ownerId the id keys carry in {@code owner_id}
 * @param name display name
 * @param webhooks signed webhook channels
 * @param emails email channels
 * @param createdAt creation time
 * @param updatedAt last change
 */
public record Owner(
    String ownerId,
    String name,
    List<Webhook> webhooks,
    List<EmailChannel> emails,
    Instant createdAt,
    Instant updatedAt) {
  /** Copies the lists. */
  public Owner {
    Objects.requireNonNull(ownerId, "ownerId");
    name = name == null ? "" : name;
    webhooks = List.copyOf(webhooks == null ? List.of() : webhooks);
    emails = List.copyOf(emails == null ? List.of() : emails);
  }

  /** The webhook with this channel id. */
  public Optional<Webhook> webhook(String channelId) {
    return webhooks.stream().filter(w -> w.channelId().equals(channelId)).findFirst();
  }

  /** The email channel with this id. */
  public Optional<EmailChannel> email(String channelId) {
    return emails.stream().filter(e -> e.channelId().equals(channelId)).findFirst();
  }
}
