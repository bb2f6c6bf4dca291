package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.KeygateException;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.monitor.MonitorStore;
import io.keygate.server.monitor.Monitoring;
import io.keygate.server.report.SecurityReport;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Registers the notification and monitoring routes next to {@link HttpApi}'s: owners, events,
 * {@code /metrics}, {@code /v1/report}, {@code /v1/keys/{key_id}/usage}. Errors go through {@link
 * HttpApi}'s central mapping.
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
    ConnectionMetrics.install(config, m.registry());
    config.routes.get("/v1/report", ctx -> report(ctx, m, auth));
    config.routes.get("/v1/keys/{key_id}/usage", ctx -> usage(ctx, m, auth));
    m.anomalyStore().ifPresent(s -> new AlertRoutes(m, s, auth).register(config));
  }

  /** One bucket of a key's usage. */
  record UsagePoint(Instant at, String outcome, long count) {}

  record UsageView(
      String keyId,
      String window,
      String bucket,
      Instant from,
      Instant to,
      List<UsagePoint> data) {}

  private static void usage(Context ctx, Monitoring m, AdminAuth auth) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_READ);
    String id = Requests.keyId(ctx);
    m.keygate().keys().get(id, actor);
    String window = ctx.queryParam("window") == null ? "24h" : ctx.queryParam("window");
    Duration span;
    Duration bucket;
    switch (window) {
      case "24h" -> {
        span = Duration.ofHours(24);
        bucket = Duration.ofMinutes(1);
      }
      case "30d" -> {
        span = Duration.ofDays(30);
        bucket = Duration.ofHours(1);
      }
      default ->
          throw new KeygateException.InvalidRequest("invalid_window", "window must be 24h or 30d");
    }
    MonitorStore store =
        m.monitorStore()
            .orElseThrow(() -> new ApiError(501, "not_available", "usage needs a JDBC store"));
    Instant to = m.keygate().clock().instant();
    Instant from = to.minus(span);
    List<UsagePoint> points =
        store.usage(id, from, to.plusMillis(1), bucket).stream()
            .map(u -> new UsagePoint(u.at(), u.outcome(), u.count()))
            .toList();
    HttpApi.json(
        ctx,
        200,
        new UsageView(
            id, window, bucket.equals(Duration.ofMinutes(1)) ? "1m" : "1h", from, to, points));
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
