package io.keygate.core.monitor;

import java.time.Instant;

/**
 * Verifications of one key with one outcome in one time bucket.
 *
 * @param keyId the key
 * @param at start of the bucket (a minute when stored; a minute or hour when read back)
 * @param outcome outcome code ({@code valid}, {@code key_revoked}, …)
 * @param count verifications
 */
public record UsageCount(String keyId, Instant at, String outcome, long count) {}
