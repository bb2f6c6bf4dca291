package io.keygate.core.verify;

import io.keygate.core.model.ApiKeyRecord;

/**
 * Called by the {@link Verifier} when a canary key is presented, before it answers {@code
 * invalid_key}. Implementations record the alarm (see {@link io.keygate.core.leaks.Canaries}) and
 * must be thread-safe.
 */
@FunctionalInterface
public interface CanaryAlarm {
  /** {@code key} (a canary) was presented by the caller described in {@code req}. */
  void tripped(ApiKeyRecord key, VerifyRequest req);
}
