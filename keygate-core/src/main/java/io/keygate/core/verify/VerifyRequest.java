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
 */
public record VerifyRequest(
    String key, String ip, List<String> requiredScopes, String method, String path) {
  /** Copies the scope list. */
  public VerifyRequest {
    requiredScopes = requiredScopes == null ? List.of() : List.copyOf(requiredScopes);
  }

  /** A request that only checks the key and its state, from an unknown address. */
  public static VerifyRequest of(String key) {
    return new VerifyRequest(key, null, List.of(), null, null);
  }
}
