package io.keygate.spring;

import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.verify.Outcome;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jakarta Servlet filter that verifies API keys with a {@link KeyVerifier}.
 *
 * <pre>{@code
 * KeygateFilter filter = KeygateFilter.builder()
 *     .verifier(RemoteKeyVerifier.builder().url(uri).token(token).build())
 *     .rule(PathRule.parse("GET /api/data/** -> read,admin"))
 *     .rule(PathRule.parse("POST /api/data/** -> write"))
 *     .trustedProxies(List.of("10.0.0.0/8"))
 *     .build();
 * }</pre>
 *
 * <p><b>Contract.</b> For each request:
 *
 * <ol>
 *   <li>A query string carrying a well-formed key (any parameter name or value the key format
 *       accepts) is refused: 403 {@code api_key_in_url}. The key must be treated as exposed.
 *   <li>The key is read from {@code X-API-Key}, else {@code Authorization: Bearer}.
 *   <li>The first {@link PathRule} matching method and path gives the required scopes (any-of). A
 *       matching request without a key gets 401 {@code missing_api_key}; a request that matches no
 *       rule and carries no key passes through anonymously.
 *   <li>A presented key is always verified, with the client IP (see below). A refusal is answered
 *       with the outcome's status and {@code {"error": code, "message": …}}; 401 answers carry
 *       {@code WWW-Authenticate: Bearer realm="keygate", error="invalid_token"} (only {@code realm}
 *       when no key was sent, as RFC 6750 §3.1 asks). A verifier that cannot decide yields 503
 *       {@code keygate_unavailable}: the filter fails closed.
 *   <li>On success the {@link KeygatePrincipal} is stored as request attribute {@link
 *       KeygatePrincipal#ATTRIBUTE} and the request continues wrapped so that {@code
 *       getUserPrincipal()} returns it and {@code isUserInRole(scope)} tests its scopes.
 * </ol>
 *
 * <p>The client IP is the socket peer unless the peer is in the trusted-proxy list; then the
 * right-most {@code X-Forwarded-For} hop that is not a trusted proxy.
 *
 * <p><b>Security guarantees.</b> The filter never logs, stores or echoes the key; error bodies
 * carry only codes and fixed messages. Paths are matched on the container's decoded, normalised
 * servlet path, so encoded or doubled slashes do not slip past a rule. Immutable and thread-safe.
 */
public final class KeygateFilter implements Filter {
  private static final Logger LOG = LoggerFactory.getLogger(KeygateFilter.class);

  private record CompiledRule(PathRule rule, Pattern path) {}

  private final KeyVerifier verifier;
  private final List<CompiledRule> rules;
  private final ClientIpResolver clientIp;
  private final KeyFormat format;

  private KeygateFilter(Builder b) {
    this.verifier = b.verifier;
    List<CompiledRule> c = new ArrayList<>();
    for (PathRule r : b.rules) {
      c.add(new CompiledRule(r, r.compiled()));
    }
    this.rules = List.copyOf(c);
    this.clientIp = new ClientIpResolver(b.trustedProxies);
    this.format = b.format;
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The rules in the order they are tried. */
  public List<PathRule> rules() {
    return rules.stream().map(CompiledRule::rule).toList();
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request)
        || !(res instanceof HttpServletResponse response)) {
      chain.doFilter(req, res);
      return;
    }
    if (keyInQuery(request.getQueryString())) {
      LOG.warn(
          "refused {} {}: an API key was sent in the query string (api_key_in_url)",
          request.getMethod(),
          request.getRequestURI());
      ErrorResponses.write(response, KeyVerdict.refused(Outcome.API_KEY_IN_URL), false);
      return;
    }
    String path = pathOf(request);
    PathRule rule = match(request.getMethod(), path);
    String key = presentedKey(request);
    if (key == null) {
      if (rule == null) {
        chain.doFilter(request, response);
      } else {
        ErrorResponses.write(response, KeyVerdict.refused(Outcome.MISSING_API_KEY), false);
      }
      return;
    }
    List<String> required = rule == null ? List.of() : rule.scopes();
    KeyVerdict verdict;
    try {
      verdict =
          verifier.verify(
              new KeyRequest(key, clientIp.resolve(request), required, request.getMethod(), path));
    } catch (KeygateUnavailableException e) {
      LOG.warn("refused {} {} with 503: {}", request.getMethod(), path, e.getMessage());
      verdict = KeyVerdict.unavailable();
    }
    if (!verdict.valid()) {
      ErrorResponses.write(response, verdict, true);
      return;
    }
    KeygatePrincipal principal = verdict.principal();
    request.setAttribute(KeygatePrincipal.ATTRIBUTE, principal);
    chain.doFilter(new AuthenticatedRequest(request, principal), response);
  }

  /** The first rule matching {@code method} and {@code path}, or {@code null}. */
  PathRule match(String method, String path) {
    String p = PathRule.normalize(path);
    for (CompiledRule c : rules) {
      if (c.rule().methodMatches(method) && c.path().matcher(p).matches()) {
        return c.rule();
      }
    }
    return null;
  }

  /** The path inside the application, decoded and normalised by the container. */
  static String pathOf(HttpServletRequest request) {
    String servletPath = request.getServletPath();
    String pathInfo = request.getPathInfo();
    String p = (servletPath == null ? "" : servletPath) + (pathInfo == null ? "" : pathInfo);
    if (!p.isEmpty()) {
      return p;
    }
    String uri = request.getRequestURI();
    String ctx = request.getContextPath();
    if (uri == null) {
      return "/";
    }
    if (ctx != null && !ctx.isEmpty() && uri.startsWith(ctx)) {
      uri = uri.substring(ctx.length());
    }
    int semi = uri.indexOf(';');
    uri = semi >= 0 ? uri.substring(0, semi) : uri;
    return uri.isEmpty() ? "/" : URLDecoder.decode(uri.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** The key from {@code X-API-Key}, else {@code Authorization: Bearer}, else {@code null}. */
  static String presentedKey(HttpServletRequest request) {
    String k = request.getHeader("X-API-Key");
    if (k != null && !k.isBlank()) {
      return k.strip();
    }
    String h = request.getHeader("Authorization");
    if (h == null) {
      return null;
    }
    h = h.strip();
    if (h.length() > 7 && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String t = h.substring(7).strip();
      return t.isEmpty() ? null : t;
    }
    return null;
  }

  /** Whether any query parameter name or value is a well-formed key. */
  boolean keyInQuery(String query) {
    if (query == null || query.isEmpty()) {
      return false;
    }
    for (String pair : query.split("[&;]")) {
      for (String part : pair.split("=", 2)) {
        if (part.length() <= KeyFormat.TAIL_LENGTH) {
          continue;
        }
        String decoded;
        try {
          decoded = URLDecoder.decode(part, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          decoded = part;
        }
        if (format.identify(decoded.strip()) != null) {
          return true;
        }
      }
    }
    return false;
  }

  /** Exposes the verified key as the request's user principal; scopes act as roles. */
  private static final class AuthenticatedRequest extends HttpServletRequestWrapper {
    private final KeygatePrincipal principal;

    AuthenticatedRequest(HttpServletRequest request, KeygatePrincipal principal) {
      super(request);
      this.principal = principal;
    }

    @Override
    public Principal getUserPrincipal() {
      return principal;
    }

    @Override
    public String getRemoteUser() {
      return principal.keyId();
    }

    @Override
    public boolean isUserInRole(String role) {
      return principal.hasScope(role);
    }
  }

  /** Fail-fast configuration of a {@link KeygateFilter}. Not thread-safe. */
  public static final class Builder {
    private KeyVerifier verifier;
    private final List<PathRule> rules = new ArrayList<>();
    private List<String> trustedProxies = List.of();
    private KeyFormat format = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);

    private Builder() {}

    /** Decides keys (required). */
    public Builder verifier(KeyVerifier v) {
      this.verifier = Objects.requireNonNull(v, "verifier");
      return this;
    }

    /** Appends a rule; rules are tried in the order added. */
    public Builder rule(PathRule r) {
      rules.add(Objects.requireNonNull(r, "rule"));
      return this;
    }

    /** Appends rules in order. */
    public Builder rules(List<PathRule> rs) {
      rs.forEach(this::rule);
      return this;
    }

    /**
     * Peers (IPs or CIDR ranges, IPv4/IPv6) whose {@code X-Forwarded-For} is believed (default
     * none: the socket address is the client IP).
     *
     * @throws IllegalArgumentException naming a bad entry
     */
    public Builder trustedProxies(List<String> cidrs) {
      Objects.requireNonNull(cidrs, "trustedProxies");
      new ClientIpResolver(cidrs);
      this.trustedProxies = List.copyOf(cidrs);
      return this;
    }

    /**
     * Key format used to spot keys in query strings (default: the standard prefixes, {@link
     * KeyTypes#defaults()}).
     */
    public Builder format(KeyFormat f) {
      this.format = Objects.requireNonNull(f, "format");
      return this;
    }

    /** Builds; {@code IllegalStateException} when no verifier was set. */
    public KeygateFilter build() {
      if (verifier == null) {
        throw new IllegalStateException("a KeyVerifier is required");
      }
      return new KeygateFilter(this);
    }
  }
}
