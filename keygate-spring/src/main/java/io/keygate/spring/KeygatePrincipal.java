package io.keygate.spring;

import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.List;
import java.util.Objects;

/**
 * The verified API key behind a request: what the application may rely on once {@link
 * KeygateFilter} has let the request through.
 *
 * <p>Available as the request attribute {@link #ATTRIBUTE}, through {@link
 * #current(HttpServletRequest)}, as {@link HttpServletRequest#getUserPrincipal()} and, in Spring
 * MVC, as a controller argument annotated with {@link KeygateKey}.
 *
 * <p><b>Security guarantees.</b> Holds the key's public handle and settings, never the key itself,
 * so it is safe to log. Immutable and thread-safe.
 *
 * @param keyId public handle of the key ({@code key_…})
 * @param ownerId owner the key belongs to, or {@code null} when the key has none
 * @param type key type name, e.g. {@code live_secret}
 * @param scopes scopes the key holds
 */
public record KeygatePrincipal(String keyId, String ownerId, String type, List<String> scopes)
    implements Principal {

  /** Request attribute under which the filter stores the principal. */
  public static final String ATTRIBUTE = KeygatePrincipal.class.getName();

  /** Checks required fields and copies the scope list. */
  public KeygatePrincipal {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(type, "type");
    scopes = scopes == null ? List.of() : List.copyOf(scopes);
  }

  /** The key id: the name under which the request is authenticated. */
  @Override
  public String getName() {
    return keyId;
  }

  /** Whether the key holds {@code scope}. */
  public boolean hasScope(String scope) {
    return scopes.contains(scope);
  }

  /**
   * The principal the filter attached to {@code request}, or {@code null} when the request carried
   * no key (an open path) or did not pass through the filter.
   */
  public static KeygatePrincipal current(HttpServletRequest request) {
    Object p = request.getAttribute(ATTRIBUTE);
    return p instanceof KeygatePrincipal k ? k : null;
  }
}
