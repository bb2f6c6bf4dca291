package io.keygate.core.audit;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An audit event to append. Never carries key material: targets are key ids.
 *
 * @param at when the change happened
 * @param actor who made it: an admin token's key id, {@code cli:<user>} or {@code system}
 * @param action dotted verb, e.g. {@code key.revoked}
 * @param targetId the changed resource (a key id), or {@code null}
 * @param ownerId owner of the target, or {@code null}
 * @param sourceIp the caller's IP, or {@code null} for local/system changes
 * @param details small string map with what changed (sorted for a canonical hash)
 */
public record AuditEntry(
    Instant at,
    String actor,
    String action,
    String targetId,
    String ownerId,
    String sourceIp,
    Map<String, String> details) {

  /** Checks required fields and sorts the details. */
  public AuditEntry {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    details = details == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(details));
  }
}
