package io.keygate.core.notify;

import java.time.Instant;
import java.util.Objects;

/**
 * An owner as the store keeps it: the channels (webhook URLs and secrets, email addresses) are one
 * sealed value the store cannot read.
 *
 * @param ownerId the owner
 * @param name display name
 * @param sealedChannels {@link DataCipher#seal sealed} JSON of the channels
 * @param createdAt creation time
 * @param updatedAt last change
 */
public record StoredOwner(
    String ownerId, String name, String sealedChannels, Instant createdAt, Instant updatedAt) {
  /** Checks required fields. */
  public StoredOwner {
    Objects.requireNonNull(ownerId, "ownerId");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sealedChannels, "sealedChannels");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }
}
