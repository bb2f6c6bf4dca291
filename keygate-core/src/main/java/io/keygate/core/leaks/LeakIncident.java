package io.keygate.core.leaks;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A stored leak incident: one confirmed Keygate key found in one place by one source. Never holds
 * key material (the key is named by id and hint).
 *
 * @param incidentId random id {@code inc_…}
 * @param dedupeKey SHA-256 hex of (key id, source, location): a repeat report of the same leak maps
 *     to the same value and is not stored twice
 * @param keyId the leaked key
 * @param ownerId its owner
 * @param keyType its type name
 * @param keyHint its display hint
 * @param source who found it ({@code github}, {@code gitleaks}, …)
 * @param location where
 * @param foundAt when the source detected it (the report time when the source does not say)
 * @param reportedAt when Keygate received the report
 * @param revokedAt when the key was (or, for a rotation, will be) revoked; {@code null} when the
 *     incident did not lead to a revocation (test key, canary)
 * @param action what the response policy did
 * @param reporter the actor who reported it (an admin token id or {@code github})
 */
public record LeakIncident(
    String incidentId,
    String dedupeKey,
    String keyId,
    String ownerId,
    String keyType,
    String keyHint,
    String source,
    LeakLocation location,
    Instant foundAt,
    Instant reportedAt,
    Instant revokedAt,
    LeakAction action,
    String reporter) {

  /** Checks required fields. */
  public LeakIncident {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(dedupeKey, "dedupeKey");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(foundAt, "foundAt");
    Objects.requireNonNull(reportedAt, "reportedAt");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(reporter, "reporter");
    location = location == null ? LeakLocation.UNKNOWN : location;
  }

  /**
   * Time to revocation: {@code revokedAt − foundAt}, or {@code null} when the incident led to no
   * revocation. Zero when the key was revoked before it was found.
   */
  public Duration timeToRevocation() {
    if (revokedAt == null) {
      return null;
    }
    Duration d = Duration.between(foundAt, revokedAt);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
