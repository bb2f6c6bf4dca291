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
 * @param exposedAt when the key was exposed: the commit date, gitleaks' {@code Date}, TruffleHog's
 *     {@code timestamp}, GitHub's report time; the report time when the source does not say (never
 *     later than {@code reportedAt})
 * @param reportedAt when Keygate received the report
 * @param revokedAt when the key was (or, for a rotation, will be) revoked; {@code null} when the
 *     incident did not lead to a revocation (test key, canary)
 * @param action what the response policy did
 * @param reporter the actor who reported it (an admin token id or {@code github})
 * @param exposure where the key was found: exposed to others, or caught before (see {@link
 *     Exposure})
 * @param liveKey whether the key grants production access (false for test keys); leak-response
 *     averages count live keys only
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
    Instant exposedAt,
    Instant reportedAt,
    Instant revokedAt,
    LeakAction action,
    String reporter,
    Exposure exposure,
    boolean liveKey) {

  /** Checks required fields. */
  public LeakIncident {
    Objects.requireNonNull(incidentId, "incidentId");
    Objects.requireNonNull(dedupeKey, "dedupeKey");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(exposedAt, "exposedAt");
    Objects.requireNonNull(reportedAt, "reportedAt");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(reporter, "reporter");
    Objects.requireNonNull(exposure, "exposure");
    location = location == null ? LeakLocation.UNKNOWN : location;
  }

  /**
   * Exposure to revocation: {@code revokedAt − exposedAt}, or {@code null} when the incident led to
   * no revocation. Zero when the key was revoked before it was exposed.
   */
  public Duration timeToRevocation() {
    return between(exposedAt, revokedAt);
  }

  /**
   * Report to revocation: {@code revokedAt − reportedAt}, or {@code null} when the incident led to
   * no revocation. Zero when the key was already revoked when the report arrived.
   */
  public Duration reportToRevocation() {
    return between(reportedAt, revokedAt);
  }

  private static Duration between(Instant from, Instant to) {
    if (to == null) {
      return null;
    }
    Duration d = Duration.between(from, to);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
