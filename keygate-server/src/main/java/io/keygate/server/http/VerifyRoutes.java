package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.request.PresentedKey;
import io.keygate.core.request.RequestTarget;
import io.keygate.core.verify.GatewayAnswer;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.server.config.ForwardAuth;
import io.keygate.server.config.ServerConfig;
import java.util.List;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.QuotedQualityCSV;

/**
 * The verification routes: {@code POST /v1/verify} (JSON, for services; always 200 with the
 * outcome) and {@code /v1/authz} (forward auth for nginx {@code auth_request}, Caddy {@code
 * forward_auth}, Traefik ForwardAuth and Envoy ext_authz: 200 with identity headers, or 400/401/
 * 403/429 with the code in {@code X-Keygate-Error}, {@code RateLimit-*} headers for keys with rate
 * limits and {@code Retry-After} on 429).
 *
 * <p><b>Keep-alive.</b> A {@code /v1/authz} answer has an empty body ({@code Content-Length: 0})
 * unless the request accepts {@code application/json}: nginx reads only the headers of an auth
 * subrequest and can reuse the upstream connection only when no body follows them. Every decision
 * is in the headers either way; the JSON body repeats it for a person or script asking directly.
 * Infrastructure faults (503 {@code store_unavailable}) keep the central JSON error body.
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

  private static final String CONFLICTING_PARAMETERS = "conflicting_authz_parameters";

  private final Keygate kg;
  private final AdminAuth auth;
  private final ClientIp clientIp;
  private final ForwardAuth forwardAuth;

  VerifyRoutes(Keygate kg, AdminAuth auth, ClientIp clientIp, ForwardAuth forwardAuth) {
    this.kg = kg;
    this.auth = auth;
    this.clientIp = clientIp;
    this.forwardAuth = forwardAuth;
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
    String userAgent = b.userAgent() != null ? b.userAgent() : ctx.userAgent();
    // Brute-force counting: the end client's address when the service passes it, else the caller.
    ApiKeySecret leaked = RequestTarget.findKey(b.path(), kg.format());
    Verification v;
    if (leaked != null) {
      v = kg.verifier().keyInUrl(leaked, b.ip() != null ? b.ip() : caller.sourceIp(), userAgent);
    } else {
      VerifyRequest req =
          new VerifyRequest(
              b.key(),
              b.ip(),
              scopes(b.requiredScopes(), "required_scopes"),
              b.method(),
              b.path(),
              scopes(b.requiredScopesAll(), "required_scopes_all"),
              cost(b.cost()),
              userAgent);
      // A token limited to one owner verifies only that owner's keys: others are unknown to it.
      v =
          kg.verifier()
              .verify(
                  req, req.ip() != null ? req.ip() : caller.sourceIp(), caller.ownerRestriction());
    }
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

  private void authz(Context ctx) {
    boolean json = acceptsJson(ctx.header("Accept"));
    Verification v;
    try {
      v = authzVerification(ctx);
    } catch (KeygateException.InvalidRequest e) {
      HttpApi.addHeader(ctx, "X-Keygate-Error", e.code());
      if (json) {
        throw e; // the central mapping writes the JSON error body
      }
      HttpApi.empty(ctx, 400);
      return;
    }
    answer(ctx, v, json);
  }

  /**
   * Whether an {@code Accept} header lists {@code application/json} (parameters allowed, case
   * ignored) without {@code q=0}. A wildcard ({@code *}{@code /*}) does not count: curl and most
   * clients send one, and gateways copy the client's headers into the auth request.
   */
  static boolean acceptsJson(String accept) {
    if (accept == null) {
      return false;
    }
    QuotedQualityCSV ranges = new QuotedQualityCSV(); // drops ranges with q=0
    ranges.addValue(accept);
    for (String range : ranges) {
      String type = HttpField.getValueParameters(range, null);
      if (type != null && type.strip().equalsIgnoreCase("application/json")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Decides a forward-auth request: the original request from the configured gateway's form (400 on
   * disagreeing forms), a key anywhere in its URL or the authz URL refused as {@code
   * api_key_in_url}, else the presented key verified against the original method and path.
   */
  private Verification authzVerification(Context ctx) {
    OriginalRequest original = OriginalRequest.of(ctx, forwardAuth);
    String ip = clientIp.of(ctx);
    ApiKeySecret leaked = RequestTarget.findKey(original.target(), kg.format());
    if (leaked == null) {
      leaked = RequestTarget.findKey(ctx.req().getRequestURI(), kg.format());
    }
    if (leaked == null) {
      leaked = RequestTarget.findKey(ctx.queryString(), kg.format());
    }
    if (leaked != null) {
      return kg.verifier().keyInUrl(leaked, ip, ctx.userAgent());
    }
    // The authz URL's own query (?scopes=, ?cost=) counts only when it is not the client's (Envoy
    // appends the client's path and query; Caddy keeps the client's query unless its forward_auth
    // uri sets one); where a header gives the same setting, the two must agree.
    boolean query = !original.clientQuery() && ctx.queryString() != null;
    String cost = operatorValue(ctx, query, "cost", "X-Keygate-Cost");
    return kg.verifier()
        .verify(
            new VerifyRequest(
                presentedKey(ctx),
                ip,
                splitScopes(operatorValue(ctx, query, "scopes", "X-Keygate-Required-Scopes")),
                original.method(),
                original.target(),
                splitScopes(
                    operatorValue(ctx, query, "scopes_all", "X-Keygate-Required-Scopes-All")),
                VerifyRequest.parseCost(cost),
                ctx.userAgent()));
  }

  private static void answer(Context ctx, Verification v, boolean json) {
    GatewayAnswer a = GatewayAnswer.of(v);
    for (GatewayAnswer.Header h : a.headers()) {
      HttpApi.addHeader(ctx, h.name(), h.value());
    }
    if (!json) {
      HttpApi.empty(ctx, a.status());
      return;
    }
    if (v instanceof Verification.Valid ok) {
      ApiKeyRecord k = ok.key();
      HttpApi.json(
          ctx, a.status(), new Views.AuthzOk(true, Outcome.VALID.code(), k.keyId(), k.ownerId()));
      return;
    }
    Verification.Rejected r = (Verification.Rejected) v;
    HttpApi.json(ctx, a.status(), new Views.ErrorBody(r.outcome().code(), r.message()));
  }

  /** The key from {@code X-API-Key} or {@code Authorization: Bearer}, or null. */
  static String presentedKey(Context ctx) {
    return PresentedKey.of(ctx.header("X-API-Key"), ctx.header("Authorization"));
  }

  /**
   * A setting the gateway gives for the request: {@code ?param=} on the authz URL (when {@code
   * query}) or the {@code header}; {@code null} when neither is given. Refused (400 {@code
   * conflicting_authz_parameters}) when both are given and disagree, or either is repeated with
   * different values: through a gateway that passes the client's query or headers along, a client
   * could otherwise replace the operator's setting with its own.
   */
  private static String operatorValue(Context ctx, boolean query, String param, String header) {
    String h = OriginalRequest.header(ctx, header, CONFLICTING_PARAMETERS);
    String q = null;
    if (query) {
      for (String v : ctx.queryParams(param)) {
        if (v.isBlank()) {
          continue;
        }
        if (q != null && !ServerConfig.splitList(q).equals(ServerConfig.splitList(v))) {
          throw conflictingParameter(param, header);
        }
        q = v;
      }
    }
    if (h != null && q != null && !ServerConfig.splitList(h).equals(ServerConfig.splitList(q))) {
      throw conflictingParameter(param, header);
    }
    return h != null ? h : q;
  }

  private static KeygateException.InvalidRequest conflictingParameter(String param, String header) {
    return new KeygateException.InvalidRequest(
        CONFLICTING_PARAMETERS,
        "?"
            + param
            + "= and "
            + header
            + " give different values (or one of them is repeated with different values); set"
            + " it in one place, on the gateway");
  }

  private static List<String> splitScopes(String s) {
    return s == null ? List.of() : ServerConfig.splitList(s);
  }
}
