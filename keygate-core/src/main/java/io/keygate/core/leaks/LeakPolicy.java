package io.keygate.core.leaks;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What to do with a confirmed leak of a live key, per key type: revoke at once (the default) or
 * rotate with a short grace period, so a service using the key keeps working while its owner
 * deploys a replacement.
 *
 * <p>A rotation mints the replacement key, but nobody receives its secret (keys are shown exactly
 * once, and no notification carries key material): the owner takes over by rotating the replacement
 * ({@code POST /v1/keys/{new_key_id}/rotate}), which shows a fresh key. The leaked key stops
 * working when the grace period ends.
 *
 * @param rotateGrace key type name → grace period of the rotation; types not listed are revoked at
 *     once
 * @param revokeTestKeys whether exposed test keys are answered like live keys (revoked or rotated)
 *     instead of only recorded; default false
 */
public record LeakPolicy(Map<String, Duration> rotateGrace, boolean revokeTestKeys) {
  /** Revoke every leaked live key at once; record leaked test keys. */
  public static final LeakPolicy REVOKE = new LeakPolicy(Map.of());

  /** A policy that records leaked test keys without acting on them. */
  public LeakPolicy(Map<String, Duration> rotateGrace) {
    this(rotateGrace, false);
  }

  /** Validates the grace periods (positive; zero means "revoke", so list nothing instead). */
  public LeakPolicy {
    rotateGrace = Map.copyOf(Objects.requireNonNull(rotateGrace, "rotateGrace"));
    rotateGrace.forEach(
        (type, d) -> {
          if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(
                "leak rotation grace for " + type + " must be positive, was " + d);
          }
        });
  }

  /** The rotation grace for {@code type}, or {@code null} to revoke at once. */
  public Duration graceFor(String type) {
    return rotateGrace.get(type);
  }
}
