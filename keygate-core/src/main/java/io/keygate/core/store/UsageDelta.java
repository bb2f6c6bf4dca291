package io.keygate.core.store;

import java.time.Instant;

/**
 * Usage of one key since the last flush.
 *
 * @param keyId the key
 * @param count successful verifications to add
 * @param lastUsedAt latest of them
 */
public record UsageDelta(String keyId, long count, Instant lastUsedAt) {}
