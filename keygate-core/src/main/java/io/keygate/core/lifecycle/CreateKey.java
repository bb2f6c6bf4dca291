package io.keygate.core.lifecycle;

import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import java.util.List;
import java.util.Map;

/**
 * A request to create a key. Null fields take the policy defaults.
 *
 * @param type key type name ({@code live_secret} by default)
 * @param ownerId owner, required
 * @param name label
 * @param scopes granted scopes ({@code ["read"]} by default)
 * @param ipAllowlist exact IPs / CIDR ranges
 * @param rateLimits named buckets
 * @param expiresInDays lifetime in days, 1..max TTL
 * @param meta free-form metadata
 * @param quota credits with optional refill, or {@code null} for unlimited (its {@code refilledAt}
 *     is replaced by the creation time)
 */
public record CreateKey(
    String type,
    String ownerId,
    String name,
    List<String> scopes,
    List<String> ipAllowlist,
    List<RateLimit> rateLimits,
    Integer expiresInDays,
    Map<String, Object> meta,
    Quota quota) {

  /** A request without a quota. */
  public CreateKey(
      String type,
      String ownerId,
      String name,
      List<String> scopes,
      List<String> ipAllowlist,
      List<RateLimit> rateLimits,
      Integer expiresInDays,
      Map<String, Object> meta) {
    this(type, ownerId, name, scopes, ipAllowlist, rateLimits, expiresInDays, meta, null);
  }
}
