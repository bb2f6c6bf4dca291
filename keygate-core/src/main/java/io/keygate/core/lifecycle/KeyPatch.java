package io.keygate.core.lifecycle;

import io.keygate.core.model.RateLimit;
import java.util.List;
import java.util.Map;

/**
 * A partial update: every non-null field replaces the stored value; null leaves it unchanged.
 *
 * @param name new label
 * @param scopes new scopes (non-empty)
 * @param ipAllowlist new allowlist ({@code []} removes the restriction)
 * @param rateLimits new buckets
 * @param expiresInDays new lifetime counted from now, within max TTL
 * @param meta new metadata (replaces it whole)
 */
public record KeyPatch(
    String name,
    List<String> scopes,
    List<String> ipAllowlist,
    List<RateLimit> rateLimits,
    Integer expiresInDays,
    Map<String, Object> meta) {}
