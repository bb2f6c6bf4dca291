package io.keygate.core.leaks;

import java.time.Instant;
import java.util.Objects;

/**
 * A canary: a decoy key, indistinguishable from a real one, planted where a leak would show. The
 * key itself is an ordinary stored key (kept disabled); this record marks it as a canary.
 *
 * @param keyId the decoy key's id
 * @param ownerId its owner
 * @param label where it is planted, e.g. {@code "wiki page: deploy notes"}
 * @param hint the key's display hint
 * @param createdAt creation time
 * @param createdBy the actor who created it
 */
public record Canary(
    String keyId, String ownerId, String label, String hint, Instant createdAt, String createdBy) {
  /** Checks required fields. */
  public Canary {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(ownerId, "ownerId");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(createdBy, "createdBy");
  }
}
