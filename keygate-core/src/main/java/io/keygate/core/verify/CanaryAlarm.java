package io.keygate.core.verify;

import io.keygate.core.model.ApiKeyRecord;

/**
 * Called by the {@link Verifier} when a canary key is presented, before it answers {@code
 * invalid_key}. Implementations record the alarm (see {@code Canaries}) and must be thread-safe.
 */
@FunctionalInterface
public interface CanaryAlarm {
  /**
   * The revoke reason a canary key is stored with: revoked is the one state no API can undo, and
   * the verifier recognises a canary on a cache miss by this reason.
   */
  String REVOKE_REASON = "canary";

  /** {@code key} (a canary) was presented by the caller described in {@code req}. */
  void tripped(ApiKeyRecord key, VerifyRequest req);
}
