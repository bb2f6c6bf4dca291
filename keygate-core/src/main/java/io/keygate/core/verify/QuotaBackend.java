package io.keygate.core.verify;

import io.keygate.core.model.Quota;

/**
 * Where live quota balances are decided: in this process ({@link QuotaLedger}, the default) or
 * shared by every node (e.g. Redis), so that a quota of N is admitted exactly N times across the
 * cluster. Mirrors {@link RateLimitBackend}.
 *
 * <p>Contract: a spend is all-or-none — either the whole {@code cost} fits the balance and is
 * taken, or nothing is taken. The database stays the durable record: a shared backend still hands
 * every admitted spend to the node's {@link QuotaLedger} ({@link QuotaLedger#spent}), whose batched
 * flush writes it.
 *
 * <p>Implementations are thread-safe and answer without throwing; a backend that cannot reach its
 * state decides by its own configured fallback.
 */
@FunctionalInterface
public interface QuotaBackend {
  /**
   * Spends {@code cost} of the balance of {@code keyId}, whose stored quota is {@code stored}.
   *
   * @return the balance after spending, or {@code -1 - balance} when the cost does not fit (nothing
   *     is spent)
   */
  long trySpend(String keyId, Quota stored, long cost, long nowMillis);
}
