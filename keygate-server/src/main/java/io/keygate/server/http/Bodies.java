package io.keygate.server.http;

import io.keygate.core.KeygateException;
import io.keygate.core.model.RateLimit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Request bodies of the HTTP API (snake_case JSON, unknown fields rejected). */
final class Bodies {
  private Bodies() {}

  /**
   * The reference design's single form: {@code {"requests": 1000, "window": 3600}} (seconds), or a
   * named bucket in {@code rate_limits}.
   */
  record RateLimitBody(String name, Long requests, Long window) {
    RateLimit toRateLimit(String defaultName) {
      if (requests == null || window == null) {
        throw new KeygateException.InvalidRequest(
            "invalid_rate_limit", "a rate limit needs 'requests' and 'window' (seconds)");
      }
      try {
        return new RateLimit(
            name == null ? defaultName : name, requests, Duration.ofSeconds(window));
      } catch (IllegalArgumentException e) {
        throw new KeygateException.InvalidRequest("invalid_rate_limit", e.getMessage());
      }
    }
  }

  record CreateKeyBody(
      String type,
      String ownerId,
      String name,
      List<String> scopes,
      List<String> ipAllowlist,
      RateLimitBody rateLimit,
      List<RateLimitBody> rateLimits,
      Integer expiresInDays,
      Map<String, Object> meta) {}

  record PatchKeyBody(
      String name,
      List<String> scopes,
      List<String> ipAllowlist,
      RateLimitBody rateLimit,
      List<RateLimitBody> rateLimits,
      Integer expiresInDays,
      Map<String, Object> meta) {}

  record RevokeBody(String reason) {}

  record RotateBody(Double gracePeriodHours) {}

  record VerifyBody(
      String key, List<String> requiredScopes, String ip, String method, String path) {}

  /** Combines the single and named forms; {@code null} when neither is given. */
  static List<RateLimit> rateLimits(RateLimitBody single, List<RateLimitBody> named) {
    if (single == null && named == null) {
      return null;
    }
    List<RateLimit> out = new ArrayList<>();
    if (single != null) {
      out.add(single.toRateLimit(RateLimit.DEFAULT_NAME));
    }
    if (named != null) {
      for (int i = 0; i < named.size(); i++) {
        RateLimitBody b = named.get(i);
        if (b == null) {
          throw new KeygateException.InvalidRequest(
              "invalid_rate_limit", "rate_limits[" + i + "] must be an object");
        }
        if (b.name() == null) {
          throw new KeygateException.InvalidRequest(
              "invalid_rate_limit", "rate_limits[" + i + "] needs a 'name'");
        }
        out.add(b.toRateLimit(b.name()));
      }
    }
    return out;
  }
}
