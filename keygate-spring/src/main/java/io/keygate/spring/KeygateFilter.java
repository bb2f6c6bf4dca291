package io.keygate.spring;

import io.keygate.core.KeygateException;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.request.ClientIpResolver;
import io.keygate.core.request.PresentedKey;
import io.keygate.core.request.RequestTarget;
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
import java.security.Principal;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
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
 *   <li>A URL carrying a well-formed key anywhere (path, query names or values, {@code Bearer%20}
 *       forms, percent-encoded; see {@link RequestTarget#findKey}) is refused: 403 {@code
 *       api_key_in_url}. It is reported through {@link KeyVerifier#keyInUrl}, so the key's owner is
 *       told and the attempt counts towards brute force for the client IP (429 {@code rate_limited}
 *       once it is blocked). The key must be treated as exposed.
 *   <li>The path is normalised as the server normalises it ({@link RequestTarget#path}); a path
 *       that could mean something else to the application is refused: 400 {@code invalid_path}.
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
 * <p>The client IP is decided by the core {@link ClientIpResolver}, as on the server: the socket
 * peer unless the peer is in the trusted-proxy list; then {@code X-Forwarded-For} (every header
 * line) read right to left through the trusted proxies.
 *
 * <p><b>Security guarantees.</b> The filter never logs, stores or echoes the key, nor a URL that
 * may hold one; error bodies carry only codes and fixed messages. Rules, and the key's own endpoint
 * rules, see the canonical path of the request URI (dot segments resolved, escapes decoded; encoded
 * slashes, encoded dots, {@code ;} parameters and double encoding refused), so an encoded or
 * doubled path cannot slip past a rule. Immutable and thread-safe.
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
    String query = request.getQueryString();
    String uri = request.getRequestURI() + (query == null ? "" : "?" + query);
    String ip = clientIp.resolve(request.getRemoteAddr(), n -> headerLines(request, n));
    if (RequestTarget.findKey(uri, format) != null) {
      ErrorResponses.write(response, reportKeyInUrl(request.getMethod(), uri, ip), false);
      return;
    }
    String path;
    try {
      path = RequestTarget.path(applicationPath(request));
    } catch (KeygateException.InvalidRequest e) {
      ErrorResponses.write(response, new KeyVerdict(e.code(), 400, e.getMessage(), null), false);
      return;
    }
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
      verdict = verifier.verify(new KeyRequest(key, ip, required, request.getMethod(), path));
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

  /**
   * Reports a key found in the URL; the refusal stands even when the report cannot be made. Logs
   * neither the key nor the URL that holds it.
   */
  private KeyVerdict reportKeyInUrl(String method, String uri, String ip) {
    LOG.warn("refused a {} request: an API key was sent in the URL (api_key_in_url)", method);
    try {
      return verifier.keyInUrl(uri, ip);
    } catch (KeygateUnavailableException e) {
      LOG.warn("the API key sent in the URL could not be reported: {}", e.getMessage());
      return KeyVerdict.refused(Outcome.API_KEY_IN_URL);
    }
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

  /** The request URI inside the application (context path removed), as sent: not decoded. */
  static String applicationPath(HttpServletRequest request) {
    String uri = request.getRequestURI();
    String ctx = request.getContextPath();
    if (uri == null || uri.isEmpty()) {
      return "/";
    }
    if (ctx != null && !ctx.isEmpty() && uri.startsWith(ctx)) {
      uri = uri.substring(ctx.length());
    }
    return uri.isEmpty() ? "/" : uri;
  }

  /** Every line of a header; none when the container does not allow access to headers. */
  private static List<String> headerLines(HttpServletRequest request, String name) {
    Enumeration<String> e = request.getHeaders(name);
    return e == null ? List.of() : Collections.list(e);
  }

  /** The key from {@code X-API-Key}, else {@code Authorization: Bearer}, else {@code null}. */
  static String presentedKey(HttpServletRequest request) {
    return PresentedKey.of(request.getHeader("X-API-Key"), request.getHeader("Authorization"));
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
     * Key format used to spot keys in URLs (default: the standard prefixes, {@link
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
