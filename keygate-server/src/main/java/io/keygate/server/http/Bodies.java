package io.keygate.server.http;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.keygate.core.KeygateException;
import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Request bodies of the HTTP API (snake_case JSON, unknown fields rejected). */
final class Bodies {
  private Bodies() {}

  /**
   * The reference design's single form: {@code {"requests": 1000, "window": 3600}} (seconds), or a
   * named bucket in {@code rate_limits}; either may use the compact {@code "limit": "1000/hour"}
   * instead of {@code requests} and {@code window}, and a {@code rate_limits} entry may be that
   * string alone (named after its unit, e.g. {@code hour}).
   */
  record RateLimitBody(String name, Long requests, Long window, String limit) {
    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    RateLimitBody {}

    /** A bare string in {@code rate_limits}: {@code "20/second"}. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static RateLimitBody ofCompact(String compact) {
      int slash = compact == null ? -1 : compact.indexOf('/');
      String unit = slash < 0 ? "default" : compact.substring(slash + 1).strip();
      return new RateLimitBody(unit.matches("[a-z]{1,10}") ? unit : null, null, null, compact);
    }

    RateLimit toRateLimit(String defaultName) {
      String n = name == null ? defaultName : name;
      if (limit != null) {
        if (requests != null || window != null) {
          throw new KeygateException.InvalidRequest(
              "invalid_rate_limit", "give either 'limit' or 'requests' and 'window', not both");
        }
        try {
          return RateLimit.parse(n, limit);
        } catch (IllegalArgumentException e) {
          throw new KeygateException.InvalidRequest("invalid_rate_limit", e.getMessage());
        }
      }
      if (requests == null || window == null) {
        throw new KeygateException.InvalidRequest(
            "invalid_rate_limit",
            "a rate limit needs 'requests' and 'window' (seconds), or 'limit' like '1000/hour'");
      }
      try {
        return new RateLimit(n, requests, Duration.ofSeconds(window));
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
      Map<String, Object> meta,
      QuotaBody quota) {}

  /** {@code {"remaining": 1000, "refill": {"amount": 1000, "interval": "daily"}}}. */
  record QuotaBody(Long remaining, RefillBody refill) {
    Quota toQuota() {
      if (remaining == null) {
        throw new KeygateException.InvalidRequest(
            "invalid_quota", "a quota needs 'remaining' (0.." + Quota.MAX + ")");
      }
      try {
        if (refill == null) {
          return new Quota(remaining, 0, null, Instant.EPOCH);
        }
        if (refill.amount() == null || refill.interval() == null) {
          throw new KeygateException.InvalidRequest(
              "invalid_quota", "a quota refill needs 'amount' and 'interval' (daily or monthly)");
        }
        return new Quota(
            remaining, refill.amount(), Quota.Refill.fromWire(refill.interval()), Instant.EPOCH);
      } catch (IllegalArgumentException e) {
        throw new KeygateException.InvalidRequest("invalid_quota", e.getMessage());
      }
    }
  }

  record RefillBody(Long amount, String interval) {}

  static Quota quota(QuotaBody b) {
    return b == null ? null : b.toQuota();
  }

  record PatchKeyBody(
      String name,
      List<String> scopes,
      List<String> ipAllowlist,
      RateLimitBody rateLimit,
      List<RateLimitBody> rateLimits,
      Integer expiresInDays,
      Map<String, Object> meta,
      QuotaBody quota) {}

  record RevokeBody(String reason) {}

  record RotateBody(Double gracePeriodHours) {}

  record VerifyBody(
      String key,
      List<String> requiredScopes,
      List<String> requiredScopesAll,
      String ip,
      String method,
      String path,
      Long cost,
      String userAgent) {}

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
