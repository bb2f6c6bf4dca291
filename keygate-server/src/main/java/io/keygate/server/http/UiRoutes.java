package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.KeygateException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Serves the admin web UI: static files packaged under {@code /ui} on the classpath, at {@code
 * /ui}. Only plain file names with a known extension are served (no {@code ..}, no directory
 * listing); {@code /ui} and {@code /ui/} answer {@code index.html}.
 *
 * <p>Security guarantees: every UI response carries a strict Content-Security-Policy (scripts,
 * styles and connections from this origin only, no inline script, no framing), {@code
 * X-Frame-Options: DENY} and {@code Referrer-Policy: no-referrer}. The UI authenticates API calls
 * with an {@code Authorization: Bearer} header read from session storage, never a cookie, so
 * cross-site request forgery has nothing to ride on. Thread-safe (stateless).
 */
public final class UiRoutes {
  /** The Content-Security-Policy of UI responses. */
  public static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

  private static final Pattern SAFE_PATH =
      Pattern.compile("[a-z0-9_-]+(/[a-z0-9_-]+)*\\.(html|css|js|mjs|svg|png|ico|json)");

  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "mjs", "text/javascript; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon",
          "json", "application/json");

  private UiRoutes() {}

  /** Registers {@code GET /ui}, {@code /ui/} and {@code /ui/<file>}. */
  public static void register(JavalinConfig config) {
    config.routes.get("/ui", ctx -> serve(ctx, "index.html"));
    config.routes.get("/ui/", ctx -> serve(ctx, "index.html"));
    config.routes.get("/ui/<path>", ctx -> serve(ctx, ctx.pathParam("path")));
  }

  private static void serve(Context ctx, String path) throws IOException {
    if (!SAFE_PATH.matcher(path).matches()) {
      throw new KeygateException.NotFound("no UI file " + printable(path));
    }
    byte[] body;
    try (InputStream in = UiRoutes.class.getResourceAsStream("/ui/" + path)) {
      if (in == null) {
        throw new KeygateException.NotFound("no UI file " + path);
      }
      body = in.readAllBytes();
    }
    String ext = path.substring(path.lastIndexOf('.') + 1);
    ctx.header("Content-Security-Policy", CSP);
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("Cross-Origin-Opener-Policy", "same-origin");
    ctx.status(200).contentType(TYPES.get(ext)).result(body);
  }

  private static String printable(String s) {
    String p = s.length() > 100 ? s.substring(0, 100) + "…" : s;
    return p.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
