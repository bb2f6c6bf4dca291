package io.keygate.core.request;

/**
 * Where a protected request carries its API key: {@code X-API-Key}, else {@code Authorization:
 * Bearer}. Shared by the forward-auth fronts (HTTP {@code /v1/authz}, Envoy ext_authz) and the
 * Spring filter so that both read a request's key the same way. Stateless and thread-safe.
 */
public final class PresentedKey {
  private PresentedKey() {}

  /**
   * The presented key, stripped, or {@code null} when neither header holds one.
   *
   * @param xApiKey the {@code X-API-Key} header, or {@code null}
   * @param authorization the {@code Authorization} header, or {@code null}
   */
  public static String of(String xApiKey, String authorization) {
    if (xApiKey != null && !xApiKey.isBlank()) {
      return xApiKey.strip();
    }
    return bearer(authorization);
  }

  /**
   * The token of an {@code Authorization: Bearer <token>} header (scheme in any case), or {@code
   * null} when the header is absent, of another scheme or empty.
   */
  public static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    String h = authorization.strip();
    if (h.length() > 7 && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String t = h.substring(7).strip();
      return t.isEmpty() ? null : t;
    }
    return null;
  }
}
