package io.keygate.core.lifecycle;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Limits applied to every key change.
 *
 * @param maxTtl longest lifetime a key may be given ({@value #DEFAULT_MAX_TTL_DAYS} days by
 *     default)
 * @param defaultTtl lifetime of a key created without {@code expires_in_days}
 * @param defaultGrace rotation grace period when none is given (24 h)
 * @param maxGrace longest rotation grace period ({@value #DEFAULT_MAX_GRACE_DAYS} days)
 * @param defaultScopes scopes of a key created without scopes ({@code ["read"]})
 */
public record KeyPolicy(
    Duration maxTtl,
    Duration defaultTtl,
    Duration defaultGrace,
    Duration maxGrace,
    List<String> defaultScopes) {
  /** Default maximum TTL in days. */
  public static final int DEFAULT_MAX_TTL_DAYS = 365;

  /** Default maximum grace in days. */
  public static final int DEFAULT_MAX_GRACE_DAYS = 30;

  /** The defaults of PRODUCT.md §4. */
  public static final KeyPolicy DEFAULTS =
      new KeyPolicy(
          Duration.ofDays(DEFAULT_MAX_TTL_DAYS),
          Duration.ofDays(DEFAULT_MAX_TTL_DAYS),
          Duration.ofHours(24),
          Duration.ofDays(DEFAULT_MAX_GRACE_DAYS),
          List.of("read"));

  /** Validates the durations. */
  public KeyPolicy {
    Objects.requireNonNull(maxTtl, "maxTtl");
    Objects.requireNonNull(defaultTtl, "defaultTtl");
    Objects.requireNonNull(defaultGrace, "defaultGrace");
    Objects.requireNonNull(maxGrace, "maxGrace");
    defaultScopes = List.copyOf(defaultScopes);
    if (maxTtl.isNegative() || maxTtl.isZero()) {
      throw new IllegalArgumentException("maxTtl must be positive");
    }
    if (defaultTtl.compareTo(maxTtl) > 0 || defaultTtl.isNegative() || defaultTtl.isZero()) {
      throw new IllegalStateException("defaultTtl must be positive and at most maxTtl");
    }
    if (defaultGrace.isNegative() || defaultGrace.compareTo(maxGrace) > 0) {
      throw new IllegalStateException("defaultGrace must be within 0..maxGrace");
    }
  }
}
