package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.verify.LimitState;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The verification routes: {@code POST /v1/verify} (JSON, for services; always 200 with the
 * outcome) and {@code /v1/authz} (forward auth for nginx {@code auth_request}, Traefik ForwardAuth
 * and Envoy ext_authz: 200 with identity headers, or 401/403/429 with the code, {@code RateLimit-*}
 * headers for keys with rate limits and {@code Retry-After} on 429).
 */
final class VerifyRoutes {
  private static final HandlerType[] AUTHZ_METHODS = {
    HandlerType.GET,
    HandlerType.HEAD,
    HandlerType.POST,
    HandlerType.PUT,
    HandlerType.PATCH,
    HandlerType.DELETE,
    HandlerType.OPTIONS
  };

  private final Keygate kg;
  private final AdminAuth auth;
  private final ClientIp clientIp;

  VerifyRoutes(Keygate kg, AdminAuth auth, ClientIp clientIp) {
    this.kg = kg;
    this.auth = auth;
    this.clientIp = clientIp;
  }

  void register(JavalinConfig config) {
    config.routes.post("/v1/verify", this::verify);
    for (HandlerType m : AUTHZ_METHODS) {
      config.routes.addHttpHandler(m, "/v1/authz", this::authz);
      config.routes.addHttpHandler(m, "/v1/authz/<path>", this::authz);
    }
  }

  private void verify(Context ctx) {
    Actor caller = auth.require(ctx, AdminScopes.VERIFY);
    Bodies.VerifyBody b = Requests.body(ctx, Bodies.VerifyBody.class);
    VerifyRequest req =
        new VerifyRequest(
            b.key(),
            b.ip(),
            scopes(b.requiredScopes(), "required_scopes"),
            b.method(),
            b.path(),
            scopes(b.requiredScopesAll(), "required_scopes_all"),
            cost(b.cost()),
            b.userAgent() != null ? b.userAgent() : ctx.userAgent());
    // Brute-force counting: the end client's address when the service passes it, else the caller.
    // A token limited to one owner verifies only that owner's keys: others are unknown to it.
    Verification v =
        kg.verifier()
            .verify(req, b.ip() != null ? b.ip() : caller.sourceIp(), caller.ownerRestriction());
    ApiKeyRecord k = v.key();
    boolean showKey = k != null;
    long retryAfter = v instanceof Verification.Rejected r ? r.retryAfterSeconds() : 0;
    HttpApi.json(
        ctx,
        200,
        new Views.VerifyResult(
            v.valid(),
            v.outcome().code(),
            v instanceof Verification.Rejected r ? r.message() : null,
            showKey ? k.keyId() : null,
            showKey ? k.ownerId() : null,
            showKey ? k.type() : null,
            showKey ? k.settings().scopes() : null,
            showKey ? k.expiresAt() : null,
            v.valid() ? k.settings().meta() : null,
            Views.LimitView.of(v.rateLimits()),
            v.quotaRemaining() == null ? null : new Views.QuotaRemaining(v.quotaRemaining()),
            retryAfter > 0 ? retryAfter : null));
  }

  /** A scope list of a verify body: absent is none; a null inside it is a 400, as on create. */
  private static List<String> scopes(List<String> scopes, String field) {
    if (scopes != null && scopes.contains(null)) {
      throw new KeygateException.InvalidRequest(
          "invalid_scopes", field + " must be an array of scope names, without null");
    }
    return scopes;
  }

  /** A request's quota cost: 1 unless given, else 1..{@link VerifyRequest#MAX_COST}. */
  private static long cost(Long c) {
    if (c == null) {
      return 1;
    }
    if (c < 1 || c > VerifyRequest.MAX_COST) {
      throw new KeygateException.InvalidRequest(
          "invalid_cost", "cost must be an integer 1.." + VerifyRequest.MAX_COST);
    }
    return c;
  }

  private static long cost(String c) {
    if (c == null || c.isBlank()) {
      return 1;
    }
    try {
      return cost(Long.parseLong(c.strip()));
    } catch (NumberFormatException e) {
      throw new KeygateException.InvalidRequest(
          "invalid_cost", "cost must be an integer 1.." + VerifyRequest.MAX_COST);
    }
  }

  private void authz(Context ctx) {
    String uri = firstHeader(ctx, "X-Original-URI", "X-Forwarded-Uri");
    String method = firstHeader(ctx, "X-Original-Method", "X-Forwarded-Method");
    boolean envoy = false;
    if (uri == null) {
      String p = ctx.path();
      String rest = p.length() > "/v1/authz".length() ? p.substring("/v1/authz".length()) : null;
      if (rest != null) { // Envoy ext_authz: original path appended to the authz prefix
        envoy = true;
        uri = rest + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
        method = method == null ? ctx.method().name() : method;
      }
    }
    Verification v;
    String ip = clientIp.of(ctx);
    String leaked = uri == null ? null : keyInQuery(uri);
    if (leaked != null) {
      // The key travelled in a URL (logs, proxies, history): tell its owner, do not revoke.
      kg.verifier().reportExposedInUrl(leaked, ip);
      v =
          new Verification.Rejected(
              Outcome.API_KEY_IN_URL,
              null,
              "API keys must not be sent in the URL; use the X-API-Key or Authorization header");
    } else {
      // The authz URL's own query (?scopes=, ?cost=) counts only when there is one and it is not
      // the client's (Envoy appends the client's path and query).
      boolean query = !envoy && ctx.queryString() != null;
      String cost = query ? ctx.queryParam("cost") : null;
      v =
          kg.verifier()
              .verify(
                  new VerifyRequest(
                      presentedKey(ctx),
                      ip,
                      requiredScopes(ctx, query, "scopes", "X-Keygate-Required-Scopes"),
                      method,
                      uri == null ? null : stripQuery(uri),
                      requiredScopes(ctx, query, "scopes_all", "X-Keygate-Required-Scopes-All"),
                      cost(cost == null ? ctx.header("X-Keygate-Cost") : cost),
                      ctx.userAgent()));
    }
    answer(ctx, v);
  }

  /** {@code RateLimit-Limit/-Remaining/-Reset} (IETF draft) for the most restrictive limit. */
  private static void rateLimitHeaders(Context ctx, List<LimitState> states) {
    LimitState m = LimitState.mostRestrictive(states);
    if (m == null) {
      return;
    }
    HttpApi.addHeader(ctx, "RateLimit-Limit", Long.toString(m.limit()));
    HttpApi.addHeader(ctx, "RateLimit-Remaining", Long.toString(m.remaining()));
    HttpApi.addHeader(ctx, "RateLimit-Reset", Long.toString(m.reset()));
  }

  private static void answer(Context ctx, Verification v) {
    rateLimitHeaders(ctx, v.rateLimits());
    if (v.quotaRemaining() != null) {
      HttpApi.addHeader(ctx, "X-Keygate-Quota-Remaining", Long.toString(v.quotaRemaining()));
    }
    if (v instanceof Verification.Valid ok) {
      ApiKeyRecord k = ok.key();
      HttpApi.addHeader(ctx, "X-Keygate-Key-Id", k.keyId());
      if (k.ownerId() != null) {
        HttpApi.addHeader(ctx, "X-Keygate-Owner-Id", k.ownerId());
      }
      HttpApi.addHeader(ctx, "X-Keygate-Key-Type", k.type());
      HttpApi.addHeader(ctx, "X-Keygate-Scopes", String.join(",", k.settings().scopes()));
      HttpApi.json(ctx, 200, new Views.AuthzOk(true, Outcome.VALID.code(), k.keyId(), k.ownerId()));
      return;
    }
    Verification.Rejected r = (Verification.Rejected) v;
    int status = r.outcome().httpStatus();
    if (status == 401) {
      HttpApi.addHeader(
          ctx,
          "WWW-Authenticate",
          "Bearer realm=\"keygate\", error=\"invalid_token\", error_description=\""
              + r.outcome().code()
              + "\"");
    }
    if (r.retryAfterSeconds() > 0) {
      HttpApi.addHeader(ctx, "Retry-After", Long.toString(r.retryAfterSeconds()));
    }
    HttpApi.addHeader(ctx, "X-Keygate-Error", r.outcome().code());
    HttpApi.json(ctx, status, new Views.ErrorBody(r.outcome().code(), r.message()));
  }

  /** The key from {@code X-API-Key} or {@code Authorization: Bearer}, or null. */
  static String presentedKey(Context ctx) {
    String k = ctx.header("X-API-Key");
    if (k != null && !k.isBlank()) {
      return k.strip();
    }
    return AdminAuth.bearer(ctx);
  }

  /**
   * Scopes the gateway requires: {@code ?scopes=} on the authz URL, else the {@code
   * X-Keygate-Required-Scopes} header. In Envoy mode the query string is the client's own, so only
   * the header counts (a client must not choose the scopes it is checked against).
   */
  private static List<String> requiredScopes(
      Context ctx, boolean query, String param, String header) {
    String s = query ? ctx.queryParam(param) : null;
    if (s == null || s.isBlank()) {
      s = ctx.header(header);
    }
    return s == null || s.isBlank()
        ? List.of()
        : io.keygate.server.config.ServerConfig.splitList(s);
  }

  private static String firstHeader(Context ctx, String a, String b) {
    String v = ctx.header(a);
    return v != null && !v.isBlank() ? v : ctx.header(b);
  }

  private static String stripQuery(String uri) {
    int q = uri.indexOf('?');
    return q < 0 ? uri : uri.substring(0, q);
  }

  /**
   * The first query parameter value (or name) of {@code uri} that is a well-formed key, or null.
   */
  private String keyInQuery(String uri) {
    int q = uri.indexOf('?');
    if (q < 0) {
      return null;
    }
    for (String pair : uri.substring(q + 1).split("[&;]")) {
      for (String part : pair.split("=", 2)) {
        String decoded;
        try {
          decoded = URLDecoder.decode(part, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          decoded = part;
        }
        if (kg.format().identify(decoded.strip()) != null) {
          return decoded.strip();
        }
      }
    }
    return null;
  }
}
