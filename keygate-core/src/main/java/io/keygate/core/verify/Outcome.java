package io.keygate.core.verify;

import java.util.Locale;

/** Verification outcome codes (PRODUCT.md §3), with the HTTP status a gateway should answer. */
public enum Outcome {
  VALID(200),
  MISSING_API_KEY(401),
  INVALID_KEY(401),
  KEY_REVOKED(401),
  KEY_EXPIRED(401),
  KEY_DISABLED(401),
  IP_NOT_ALLOWED(403),
  INSUFFICIENT_SCOPE(403),
  RATE_LIMITED(429),
  QUOTA_EXCEEDED(429),
  API_KEY_IN_URL(403);

  private final int httpStatus;
  private final String code;

  Outcome(int httpStatus) {
    this.httpStatus = httpStatus;
    this.code = name().toLowerCase(Locale.ROOT);
  }

  /** The snake_case code, e.g. {@code key_revoked}. */
  public String code() {
    return code;
  }

  /** HTTP status for forward-auth and middleware answers. */
  public int httpStatus() {
    return httpStatus;
  }
}
