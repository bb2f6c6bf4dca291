package io.keygate.core.verify;

import io.keygate.core.model.ApiKeyRecord;
import java.util.List;

/**
 * The typed result of verifying a key. Expected rejections are values, never exceptions. Neither
 * variant holds the raw key.
 */
public sealed interface Verification permits Verification.Valid, Verification.Rejected {

  /** The outcome code. */
  Outcome outcome();

  /** The key the request presented, when it was found (also for most rejections), else null. */
  ApiKeyRecord key();

  /** Whether access is granted. */
  default boolean valid() {
    return outcome() == Outcome.VALID;
  }

  /** The key's rate limits after this request (empty when it has none or was not checked). */
  default List<LimitState> rateLimits() {
    return List.of();
  }

  /** The key's quota balance after this request, or {@code null} when unlimited/unchecked. */
  default Long quotaRemaining() {
    return null;
  }

  /**
   * Access granted to {@code key}.
   *
   * @param key the key
   * @param rateLimits state of each of the key's rate limits after this request
   * @param quotaRemaining the quota balance after this request, or {@code null}
   */
  record Valid(ApiKeyRecord key, List<LimitState> rateLimits, Long quotaRemaining)
      implements Verification {
    /** Access granted to a key without limits or quota. */
    public Valid(ApiKeyRecord key) {
      this(key, List.of(), null);
    }

    @Override
    public Outcome outcome() {
      return Outcome.VALID;
    }
  }

  /**
   * Access refused.
   *
   * @param outcome why
   * @param key the key, when known (null for {@code invalid_key}/{@code missing_api_key})
   * @param message a human explanation that never contains key material
   * @param rateLimits state of the key's rate limits (set for {@code rate_limited} and {@code
   *     quota_exceeded}), else empty
   * @param quotaRemaining the quota balance (set for {@code quota_exceeded}), or {@code null}
   * @param retryAfterSeconds whole seconds (at least 1) after which a retry can succeed, for {@code
   *     rate_limited} and {@code quota_exceeded}; 0 when not applicable
   */
  record Rejected(
      Outcome outcome,
      ApiKeyRecord key,
      String message,
      List<LimitState> rateLimits,
      Long quotaRemaining,
      long retryAfterSeconds)
      implements Verification {
    /** A refusal with no limit state. */
    public Rejected(Outcome outcome, ApiKeyRecord key, String message) {
      this(outcome, key, message, List.of(), null, 0);
    }
  }
}
