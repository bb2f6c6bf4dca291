package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.router.Endpoint;
import io.javalin.router.InternalRouter;
import io.javalin.router.ParsedEndpoint;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.outbound.OutboundHttp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API's front door: registers every route and the one place that maps outcomes and
 * exceptions to status codes and {@code {"error": code, "message": ...}} bodies. Bad input is
 * always a 4xx with a precise code; an unexpected fault is a 500 with a generic message and no
 * stack trace (the trace goes to the log, which never contains keys).
 */
public final class HttpApi {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

  private HttpApi() {}

  /**
   * Registers routes, headers and error mapping on a Javalin configuration; {@code serverConfig}
   * gives the trusted proxies and the forward-auth form, {@code outbound} fetches secret scanning
   * partners' public keys.
   */
  public static void install(
      JavalinConfig config,
      Keygate kg,
      ServerConfig serverConfig,
      LeakConfig leaks,
      OutboundHttp outbound) {
    ClientIp clientIp = new ClientIp(serverConfig.trustedProxies());
    AdminAuth auth = new AdminAuth(kg.verifier(), clientIp);
    config.routes.before(
        ctx -> {
          // A route may still replace them with ctx.header.
          addHeader(ctx, "Cache-Control", "no-store");
          addHeader(ctx, "X-Content-Type-Options", "nosniff");
        });
    // The hot routes first: Javalin tries a method's routes in registration order.
    new VerifyRoutes(kg, auth, clientIp, serverConfig.forwardAuth()).register(config);
    new ImportRoutes(kg, auth).register(config);
    new KeyRoutes(kg, auth).register(config);
    new AdminTokenRoutes(kg, auth).register(config);
    new SystemRoutes(kg, auth).register(config);
    new LeakRoutes(kg, auth, clientIp, leaks, outbound).register(config);
    UiRoutes.register(config);
    new WhoAmIRoutes(auth).register(config);
    mapErrors(config);
    config.http.prefer405over404 = true;
    config.jetty.modifyServer(server -> server.setErrorHandler(new JettyErrors()));
    // Jetty keeps a per-connection cache of header lines it saw, Authorization among them, so a
    // bearer credential (an admin token, or an API key sent as Authorization) would stay in the
    // connection's memory after its request. Off: no credential outlives its request there, and
    // with an API key that differs on every request the cache's lookups cost more than it saved
    // (server CPU per request -7 % on /v1/verify and /v1/authz, docs/benchmarks.md).
    config.jetty.modifyHttpConfiguration(http -> http.setHeaderCacheSize(0));
    // No route uses HTTP sessions (the UI keeps its token in session storage, never in a cookie),
    // yet Javalin's SessionHandler looked for a session id in every request's cookies (parsing
    // them into a per-request cookie cache) and URI parameters.
    config.jetty.modifyServletContextHandler(
        context -> {
          context.getSessionHandler().setUsingCookies(false);
          context.getSessionHandler().setUsingUriParameters(false);
        });
    // Javalin copies every response body through a buffer of this size, allocated and zeroed per
    // response; its default, Jetty's 32 KB output buffer, cost /healthz about a tenth of its CPU.
    // Larger bodies are copied in 4 KB steps into Jetty's own output buffer.
    config.http.responseBufferSize = 4096;
  }

  /**
   * Answers {@code HEAD} on every {@code GET} route with that route's own handler, so {@code HEAD}
   * is authenticated and authorised exactly like {@code GET} (Jetty sends the headers and drops the
   * body). Without this Javalin answers {@code HEAD} on any path that has a {@code GET} route with
   * an empty {@code 200} without running the handler — telling an unauthenticated caller "this
   * exists, you may" for every admin route. Call once every route is registered; routes that
   * register {@code HEAD} themselves keep their own handler.
   */
  public static void headLikeGet(JavalinConfig config) {
    InternalRouter router = config.unsafe.internalRouter;
    Set<String> head = new HashSet<>();
    List<Endpoint> gets = new ArrayList<>();
    for (ParsedEndpoint p : router.allHttpHandlers()) {
      if (p.endpoint.method == HandlerType.HEAD) {
        head.add(p.endpoint.path);
      } else if (p.endpoint.method == HandlerType.GET) {
        gets.add(p.endpoint);
      }
    }
    for (Endpoint get : gets) {
      if (head.add(get.path)) {
        config.routes.addHttpHandler(HandlerType.HEAD, get.path, get.handler);
      }
    }
  }

  private static void mapErrors(JavalinConfig config) {
    config.routes.exception(
        ApiError.class,
        (e, ctx) -> {
          e.headers().forEach(ctx::header);
          error(ctx, e.status(), e.code(), e.getMessage());
        });
    config.routes.exception(
        KeygateException.InvalidRequest.class,
        (e, ctx) -> error(ctx, 400, e.code(), e.getMessage()));
    config.routes.exception(
        KeygateException.NotFound.class, (e, ctx) -> error(ctx, 404, e.code(), e.getMessage()));
    config.routes.exception(
        KeygateException.Forbidden.class, (e, ctx) -> error(ctx, 403, e.code(), e.getMessage()));
    config.routes.exception(
        KeygateException.Conflict.class, (e, ctx) -> error(ctx, 409, e.code(), e.getMessage()));
    config.routes.exception(
        KeygateException.AuditIntegrity.class,
        (e, ctx) -> {
          LOG.error("audit log integrity: {}", e.getMessage());
          if (e.code().equals("audit_key_unavailable")) {
            ctx.header("Retry-After", "5"); // this node picks up the rotated key file shortly
          }
          error(ctx, 503, e.code(), e.getMessage());
        });
    config.routes.exception(
        KeygateException.SecretMismatch.class,
        (e, ctx) -> {
          LOG.error("secret mismatch: {}", e.getMessage());
          ctx.header("Retry-After", "5"); // a node picks up a rotated secret file shortly
          error(ctx, 503, e.code(), e.getMessage() + "; nothing was changed");
        });
    config.routes.exception(
        KeygateException.StoreUnavailable.class,
        (e, ctx) -> {
          LOG.error("store unavailable: {}", e.getMessage(), e.getCause());
          ctx.header("Retry-After", "5");
          error(ctx, 503, e.code(), "the store is unavailable; nothing was changed, retry later");
        });
    config.routes.exception(
        HttpResponseException.class,
        (e, ctx) ->
            error(
                ctx,
                e.getStatus(),
                codeFor(e.getStatus()),
                e.getStatus() == 404
                    ? "no route for " + ctx.method() + " " + safePath(ctx)
                    : e.getMessage()));
    config.routes.exception(
        Exception.class,
        (e, ctx) -> {
          LOG.error("unexpected error on {} {}", ctx.method(), safePath(ctx), e);
          error(ctx, 500, "internal_error", "unexpected server error; see the server log");
        });
    config.routes.error(
        404,
        ctx -> {
          if (ctx.result() == null || ctx.result().isEmpty()) {
            error(ctx, 404, "not_found", "no route for " + ctx.method() + " " + safePath(ctx));
          }
        });
    config.routes.error(
        405, ctx -> error(ctx, 405, "method_not_allowed", ctx.method() + " is not allowed here"));
  }

  /**
   * The request path for an error message: printable ASCII, at most 100 characters, and with every
   * long base62 run (anything that could be a key pasted into a URL) replaced by {@code …}.
   */
  static String safePath(Context ctx) {
    return redact(ctx.path());
  }

  /** See {@link #safePath}; also used for ids echoed in messages. */
  static String redact(String s) {
    String p = s.replaceAll("[^\\x20-\\x7e]", "?").replaceAll("[0-9A-Za-z]{16,}", "…");
    return p.length() > 100 ? p.substring(0, 100) + "…" : p;
  }

  static String codeFor(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 413 -> "payload_too_large";
      case 414 -> "uri_too_long";
      case 415 -> "unsupported_media_type";
      case 431 -> "headers_too_large";
      default -> "http_" + status;
    };
  }

  private static void error(Context ctx, int status, String code, String message) {
    json(ctx, status, new Views.ErrorBody(code.toLowerCase(Locale.ROOT), message));
  }

  /**
   * Appends a header to the answer, for headers set once on a response that does not carry them
   * yet: {@code ctx.header} would first scan every header already set for one to replace.
   */
  static void addHeader(Context ctx, String name, String value) {
    ctx.res().addHeader(name, value);
  }

  private static final byte[] NO_BODY = new byte[0];

  /** Answers {@code status} with no body ({@code Content-Length: 0}), everything in the headers. */
  static void empty(Context ctx, int status) {
    ctx.status(status).result(NO_BODY);
  }

  /** Writes a JSON response. */
  static void json(Context ctx, int status, Object body) {
    ctx.status(status).contentType("application/json").result(Json.write(body));
  }
}
