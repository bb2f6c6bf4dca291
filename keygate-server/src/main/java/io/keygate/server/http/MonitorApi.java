package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.server.Monitoring;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

/**
 * Registers the notification and monitoring routes next to {@link HttpApi}'s: owners, events,
 * {@code /metrics}. Errors go through {@link HttpApi}'s central mapping.
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
