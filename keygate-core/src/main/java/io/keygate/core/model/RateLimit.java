package io.keygate.core.model;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named token bucket: at most {@code requests} per {@code window}.
 *
 * @param name {@code [a-z0-9_-]{1,40}}, unique per key ({@code default} for the reference form)
 * @param requests positive capacity per window
 * @param window positive window length, at most 31 days
 */
public record RateLimit(String name, long requests, Duration window) {
  private static final Pattern NAME = Pattern.compile("[a-z0-9_-]{1,40}");

  /** Name of the bucket given in the reference design's single {@code rate_limit} form. */
  public static final String DEFAULT_NAME = "default";

  /** Validates every field. */
  public RateLimit {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(window, "window");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("rate limit name must match [a-z0-9_-]{1,40}: " + name);
    }
    if (requests < 1 || requests > 1_000_000_000L) {
      throw new IllegalArgumentException("rate limit requests must be 1..1e9, was " + requests);
    }
    if (window.isNegative() || window.isZero() || window.compareTo(Duration.ofDays(31)) > 0) {
      throw new IllegalArgumentException("rate limit window must be 1s..31d, was " + window);
    }
  }
}
