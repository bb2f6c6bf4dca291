package io.keygate.core.verify;

import java.time.Instant;

/**
 * Told about every verification after its result is known, on the verifying thread: metrics, usage
 * analytics and anomaly detection hang off this hook.
 *
 * <p><b>Contract.</b> Called on the hot path, so an implementation must be cheap, must not block
 * and must not do I/O; it aggregates in memory and leaves writing to a background task. An
 * exception it throws is swallowed and does not change the result. Implementations must be
 * thread-safe. The request still holds the presented key: a listener must never keep, log or store
 * {@link VerifyRequest#key()}.
 */
@FunctionalInterface
public interface VerificationListener {
  /** A listener that does nothing. */
  VerificationListener NONE = (request, result, at, elapsedNanos) -> {};

  /**
   * One verification finished.
   *
   * @param request what was checked
   * @param result the outcome, with the key's record when it was found
   * @param at the verifier's clock when it finished
   * @param elapsedNanos wall time the verification took
   */
  void onVerification(VerifyRequest request, Verification result, Instant at, long elapsedNanos);
}
