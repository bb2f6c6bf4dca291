package io.keygate.core.lifecycle;

import io.keygate.core.model.RateLimit;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A key issued by another system, to be imported by the plain SHA-256 of its raw value. Null fields
 * take the policy defaults.
 *
 * @param sha256 lower- or upper-case hex SHA-256 of the raw key, required
 * @param prefix the key's prefix (e.g. {@code acme_}); keys with it are accepted although they lack
 *     Keygate's checksum; {@code null} matches any key (see {@link
 *     io.keygate.core.verify.LegacyKeys})
 * @param type Keygate key type name ({@code live_secret} by default)
 * @param ownerId owner, required
 * @param name label
 * @param scopes granted scopes
 * @param ipAllowlist exact IPs / CIDR ranges
 * @param rateLimits named buckets
 * @param expiresAt expiry, or {@code null} with {@code expiresInDays}
 * @param expiresInDays lifetime from now in days, or {@code null} for the policy default
 * @param meta free-form metadata
 */
public record ImportKey(
    String sha256,
    String prefix,
    String type,
    String ownerId,
    String name,
    List<String> scopes,
    List<String> ipAllowlist,
    List<RateLimit> rateLimits,
    Instant expiresAt,
    Integer expiresInDays,
    Map<String, Object> meta) {}
