package io.keygate.core.verify;

import io.keygate.core.model.ApiKeyRecord;

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

  /** Access granted to {@code key}. */
  record Valid(ApiKeyRecord key) implements Verification {
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
   */
  record Rejected(Outcome outcome, ApiKeyRecord key, String message) implements Verification {}
}
