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

  /**
   * Parses the compact form {@code N/unit} ({@code unit} one of {@code second}, {@code minute},
   * {@code hour}, {@code day}), e.g. {@code 1000/hour}.
   *
   * @throws IllegalArgumentException with the accepted syntax when {@code spec} does not parse
   */
  public static RateLimit parse(String name, String spec) {
    String s = spec == null ? "" : spec.strip();
    int slash = s.indexOf('/');
    Duration unit = slash < 0 ? null : unit(s.substring(slash + 1).strip());
    long n;
    try {
      n = slash < 0 ? -1 : Long.parseLong(s.substring(0, slash).strip());
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (unit == null || n < 1) {
      throw new IllegalArgumentException(
          "rate limit must look like N/second, N/minute, N/hour or N/day, was '" + spec + "'");
    }
    return new RateLimit(name, n, unit);
  }

  private static Duration unit(String u) {
    return switch (u) {
      case "second", "s", "sec" -> Duration.ofSeconds(1);
      case "minute", "m", "min" -> Duration.ofMinutes(1);
      case "hour", "h" -> Duration.ofHours(1);
      case "day", "d" -> Duration.ofDays(1);
      default -> null;
    };
  }
}
