package io.keygate.redis;

import java.util.Locale;

/** What rate limiting does while Redis cannot be reached. */
public enum RateLimitFallback {
  /**
   * Each node enforces every limit on its own with in-process buckets sized {@code limit / nodes}
   * (at least 1), so the cluster as a whole stays close to the configured limit.
   */
  LOCAL,
  /** Every request of a key with rate limits is refused with {@code rate_limited}. */
  CLOSED;

  /** Parses {@code local} or {@code closed} (any case). */
  public static RateLimitFallback parse(String s) {
    return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
      case "local" -> LOCAL;
      case "closed" -> CLOSED;
      default ->
          throw new IllegalArgumentException(
              "rate limit fallback must be local or closed, was '" + s + "'");
    };
  }
}
