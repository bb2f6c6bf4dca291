package io.keygate.server.http;

import io.javalin.http.Context;
import io.keygate.core.KeygateException;
import io.keygate.server.config.ForwardAuth;
import java.util.Enumeration;
import java.util.Objects;

/**
 * The request a gateway asks {@code /v1/authz} about, read from the form of the gateway the server
 * is configured for ({@link ForwardAuth}): nginx's {@code X-Original-Method}/{@code
 * X-Original-URI}, Traefik's and Caddy's {@code X-Forwarded-Method}/{@code X-Forwarded-Uri}, or
 * Envoy's path suffix ({@code /v1/authz/<original path>}) with the request's own method.
 *
 * <p><b>Security guarantees.</b> A gateway passes the client's own headers through to the auth
 * request, so a header of a form the gateway does not set is the client's choice: it is ignored in
 * a named mode. In {@link ForwardAuth#AUTO} every form counts, and a request whose forms (or
 * repeated lines of one header) disagree is refused (400 {@code conflicting_original_request}),
 * never decided by a precedence the client could exploit. The method and target are taken from one
 * form together, never mixed. Messages name headers, never their values (which may hold keys).
 *
 * @param method the original method, or {@code null} when the gateway sent none
 * @param target the original request target (path and query, as sent), or {@code null}
 * @param clientQuery whether the authz request's own query string is the client's (Envoy appends
 *     the original query), so it must not choose required scopes or costs
 */
record OriginalRequest(String method, String target, boolean clientQuery) {
  private static final String AUTHZ = "/v1/authz";
  private static final String CONFLICT = "conflicting_original_request";
  private static final ForwardAuth[] FORMS = {
    ForwardAuth.NGINX, ForwardAuth.FORWARDED, ForwardAuth.ENVOY
  };
  private static final OriginalRequest NONE = new OriginalRequest(null, null, false);

  /**
   * Reads the original request of {@code ctx} as {@code mode} says.
   *
   * @throws KeygateException.InvalidRequest {@code conflicting_original_request} when the forms
   *     read disagree
   */
  static OriginalRequest of(Context ctx, ForwardAuth mode) {
    OriginalRequest found = NONE;
    ForwardAuth foundForm = null;
    for (ForwardAuth form : FORMS) {
      if (!mode.reads(form)) {
        continue;
      }
      OriginalRequest r =
          switch (form) {
            case NGINX -> headers(ctx, "X-Original-Method", "X-Original-URI");
            case FORWARDED -> headers(ctx, "X-Forwarded-Method", "X-Forwarded-Uri");
            default -> envoy(ctx);
          };
      if (r == null) {
        continue;
      }
      if (foundForm == null) {
        found = r;
        foundForm = form;
      } else if (!Objects.equals(r.target, found.target)
          || !(r.method == null ? found.method == null : r.method.equalsIgnoreCase(found.method))) {
        throw conflict(
            "the original request is given as "
                + describe(foundForm)
                + " and as "
                + describe(form)
                + ", and they disagree");
      } else if (r.clientQuery) {
        found = r;
      }
    }
    return found;
  }

  private static String describe(ForwardAuth form) {
    return switch (form) {
      case NGINX -> "X-Original-*";
      case FORWARDED -> "X-Forwarded-*";
      default -> "the path after " + AUTHZ;
    };
  }

  /** A header form, or {@code null} when neither header is there. */
  private static OriginalRequest headers(Context ctx, String methodHeader, String uriHeader) {
    String method = header(ctx, methodHeader, CONFLICT);
    String uri = header(ctx, uriHeader, CONFLICT);
    return method == null && uri == null ? null : new OriginalRequest(method, uri, false);
  }

  /** Envoy's form, or {@code null} when the authz request has no path suffix. */
  private static OriginalRequest envoy(Context ctx) {
    String raw = ctx.req().getRequestURI();
    if (raw == null || raw.length() <= AUTHZ.length() || raw.charAt(AUTHZ.length()) != '/') {
      return null;
    }
    String query = ctx.queryString();
    return new OriginalRequest(
        ctx.method().name(),
        raw.substring(AUTHZ.length()) + (query == null ? "" : "?" + query),
        true);
  }

  /**
   * The one value of a header that is not blank, or {@code null}; refused with {@code code} when
   * several lines of it disagree.
   */
  static String header(Context ctx, String name, String code) {
    String value = null;
    for (Enumeration<String> e = ctx.req().getHeaders(name); e.hasMoreElements(); ) {
      String v = e.nextElement();
      if (v.isBlank()) {
        continue;
      }
      if (value != null && !value.equals(v)) {
        throw new KeygateException.InvalidRequest(
            code, "the request carries " + name + " more than once, with different values");
      }
      value = v;
    }
    return value;
  }

  private static KeygateException.InvalidRequest conflict(String what) {
    return new KeygateException.InvalidRequest(
        CONFLICT,
        what
            + "; set KEYGATE_FORWARD_AUTH to the gateway in front of Keygate (nginx, forwarded or"
            + " envoy) so that only its form is read");
  }
}
