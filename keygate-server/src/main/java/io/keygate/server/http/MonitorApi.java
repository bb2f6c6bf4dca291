package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.KeygateException;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.server.Monitoring;
import io.keygate.server.report.SecurityReport;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

/**
 * Registers the notification and monitoring routes next to {@link HttpApi}'s: owners, events,
 * {@code /metrics}, {@code /v1/report}. Errors go through {@link HttpApi}'s central mapping.
 */
public final class MonitorApi {
  private MonitorApi() {}

  /** Registers the routes of {@code m} on {@code config}. */
  public static void install(JavalinConfig config, Monitoring m, List<String> trustedProxies) {
    AdminAuth auth = new AdminAuth(m.keygate().verifier(), new ClientIp(trustedProxies));
    Views.expiringSoonDays = m.config().expiringSoonDays();
    m.owners()
        .ifPresent(
            owners ->
                new NotifyRoutes(owners, m.notifyStore().orElseThrow(), auth).register(config));
    config.routes.get("/metrics", ctx -> metrics(ctx, m));
    config.routes.get("/v1/report", ctx -> report(ctx, m, auth));
  }

  private static void report(Context ctx, Monitoring m, AdminAuth auth) {
    Actor actor = auth.require(ctx, AdminScopes.REPORT_READ);
    if (actor.ownerRestriction() != null) {
      throw new ApiError(
          403, "forbidden", "the security report covers every owner; use an unrestricted token");
    }
    String format = ctx.queryParam("format") == null ? "md" : ctx.queryParam("format");
    if (!List.of("md", "json", "html").contains(format)) {
      throw new KeygateException.InvalidRequest(
          "invalid_format", "format must be md, json or html");
    }
    if (m.monitorStore().isEmpty()) {
      throw new ApiError(501, "not_available", "the report needs a JDBC store");
    }
    String body = SecurityReport.render(m.report(), format);
    String type =
        switch (format) {
          case "json" -> "application/json";
          case "html" -> "text/html; charset=utf-8";
          default -> "text/markdown; charset=utf-8";
        };
    if (format.equals("html")) {
      ctx.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    }
    ctx.status(200).contentType(type).result(body);
  }

  private static void metrics(Context ctx, Monitoring m) {
    String token = m.config().metricsToken();
    if (token != null) {
      String given = AdminAuth.bearer(ctx);
      if (given == null
          || !MessageDigest.isEqual(
              given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
        throw new ApiError(
            401,
            "unauthorized",
            "/metrics requires Authorization: Bearer <KEYGATE_METRICS_TOKEN>",
            Map.of("WWW-Authenticate", "Bearer realm=\"keygate-metrics\""));
      }
    }
    ctx.status(200)
        .contentType("text/plain; version=0.0.4; charset=utf-8")
        .result(m.registry().scrape());
  }
}
