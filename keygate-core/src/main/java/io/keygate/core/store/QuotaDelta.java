package io.keygate.core.store;

import java.time.Instant;

/**
 * Quota consumed by one key since the last flush.
 *
 * @param keyId the key
 * @param consumed units to subtract from the stored balance ({@code >= 1})
 * @param periodStart start of the refill period the consumption belongs to: when the stored {@code
 *     refilledAt} is older and the key has a refill, the store first resets the balance to the
 *     refill amount and {@code refilledAt} to this instant; {@code null} for a quota without refill
 */
public record QuotaDelta(String keyId, long consumed, Instant periodStart) {}
