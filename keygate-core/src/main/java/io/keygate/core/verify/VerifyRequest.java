package io.keygate.core.verify;

import java.util.List;

/**
 * What to check.
 *
 * @param key the presented key, or {@code null} when none was presented
 * @param ip the client IP, or {@code null} when unknown (a key with an allowlist is then refused)
 * @param requiredScopes the request needs at least one of these (reference design semantics); empty
 *     = no scope requirement
 * @param method HTTP method of the protected request, or {@code null}
 * @param path path of the protected request, or {@code null}
 * @param requiredScopesAll the request needs every one of these; empty = no all-of requirement
 * @param cost quota units the request consumes ({@code >= 1}; 1 by default)
 * @param userAgent the client's {@code User-Agent}, or {@code null}; reported when a canary key is
 *     presented, never used to decide
 */
public record VerifyRequest(
    String key,
    String ip,
    List<String> requiredScopes,
    String method,
    String path,
    List<String> requiredScopesAll,
    long cost,
    String userAgent) {
  /** Largest cost one request may declare. */
  public static final long MAX_COST = 1_000_000;

  /** Copies the scope lists; {@code IllegalArgumentException} for a cost outside 1..MAX_COST. */
  public VerifyRequest {
    requiredScopes = requiredScopes == null ? List.of() : List.copyOf(requiredScopes);
    requiredScopesAll = requiredScopesAll == null ? List.of() : List.copyOf(requiredScopesAll);
    if (cost < 1 || cost > MAX_COST) {
      throw new IllegalArgumentException("cost must be 1.." + MAX_COST + ", was " + cost);
    }
  }

  /** A request without a user agent. */
  public VerifyRequest(
      String key,
      String ip,
      List<String> requiredScopes,
      String method,
      String path,
      List<String> requiredScopesAll,
      long cost) {
    this(key, ip, requiredScopes, method, path, requiredScopesAll, cost, null);
  }

  /** A copy carrying the client's user agent. */
  public VerifyRequest withUserAgent(String ua) {
    return new VerifyRequest(key, ip, requiredScopes, method, path, requiredScopesAll, cost, ua);
  }

  /** A request with an any-of scope requirement and cost 1. */
  public VerifyRequest(
      String key, String ip, List<String> requiredScopes, String method, String path) {
    this(key, ip, requiredScopes, method, path, List.of(), 1);
  }

  /** A request that only checks the key and its state, from an unknown address. */
  public static VerifyRequest of(String key) {
    return new VerifyRequest(key, null, List.of(), null, null);
  }
}
