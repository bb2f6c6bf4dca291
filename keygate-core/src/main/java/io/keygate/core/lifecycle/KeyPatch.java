package io.keygate.core.lifecycle;

import io.keygate.core.model.Quota;
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
 * @param quota new quota (balance and refill; its {@code refilledAt} is replaced by the update
 *     time)
 */
public record KeyPatch(
    String name,
    List<String> scopes,
    List<String> ipAllowlist,
    List<RateLimit> rateLimits,
    Integer expiresInDays,
    Map<String, Object> meta,
    Quota quota) {

  /** A patch that leaves the quota unchanged. */
  public KeyPatch(
      String name,
      List<String> scopes,
      List<String> ipAllowlist,
      List<RateLimit> rateLimits,
      Integer expiresInDays,
      Map<String, Object> meta) {
    this(name, scopes, ipAllowlist, rateLimits, expiresInDays, meta, null);
  }
}
