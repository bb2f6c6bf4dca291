package io.keygate.core.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a key may do — everything a rotation carries over to the new key.
 *
 * @param name human label, may be empty
 * @param scopes granted scopes, e.g. {@code read}, {@code write}, {@code keys:read}
 * @param ipAllowlist exact IPs or CIDR ranges (IPv4/IPv6); empty = any address
 * @param rateLimits named token buckets
 * @param meta free-form JSON-compatible metadata (strings, numbers, booleans, lists, maps)
 * @param quota credits with refill, or {@code null} for unlimited
 */
public record KeySettings(
    String name,
    List<String> scopes,
    List<String> ipAllowlist,
    List<RateLimit> rateLimits,
    Map<String, Object> meta,
    Quota quota) {

  /** Settings without a quota (the form before quotas existed). */
  public KeySettings(
      String name,
      List<String> scopes,
      List<String> ipAllowlist,
      List<RateLimit> rateLimits,
      Map<String, Object> meta) {
    this(name, scopes, ipAllowlist, rateLimits, meta, null);
  }

  /** A copy with another quota. */
  public KeySettings withQuota(Quota q) {
    return new KeySettings(name, scopes, ipAllowlist, rateLimits, meta, q);
  }

  /** Copies every collection; nulls become empty. */
  public KeySettings {
    name = name == null ? "" : name;
    scopes = List.copyOf(Objects.requireNonNullElse(scopes, List.of()));
    ipAllowlist = List.copyOf(Objects.requireNonNullElse(ipAllowlist, List.of()));
    rateLimits = List.copyOf(Objects.requireNonNullElse(rateLimits, List.of()));
    meta = meta == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(meta));
  }
}
