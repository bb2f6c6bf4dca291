package io.keygate.spring;

import java.util.List;

/**
 * What a {@link KeyVerifier} checks for one request.
 *
 * <p><b>Security guarantees.</b> {@link #toString()} masks the key, so a request object that ends
 * up in a log line or an exception message reveals nothing. Immutable and thread-safe.
 *
 * @param key the presented key (never {@code null} or blank)
 * @param clientIp the client IP as the filter decided it, or {@code null} when unknown
 * @param requiredScopes the request needs at least one of these; empty = any valid key
 * @param method HTTP method of the protected request
 * @param path path of the protected request, without query string, as {@link
 *     io.keygate.core.request.RequestTarget#path} normalises it (the filter passes it so)
 */
public record KeyRequest(
    String key, String clientIp, List<String> requiredScopes, String method, String path) {

  /** Copies the scope list and rejects a missing key. */
  public KeyRequest {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("a key request needs a key");
    }
    requiredScopes = requiredScopes == null ? List.of() : List.copyOf(requiredScopes);
  }

  @Override
  public String toString() {
    return "KeyRequest[key=****, clientIp="
        + clientIp
        + ", requiredScopes="
        + requiredScopes
        + ", method="
        + method
        + ", path="
        + path
        + "]";
  }
}
