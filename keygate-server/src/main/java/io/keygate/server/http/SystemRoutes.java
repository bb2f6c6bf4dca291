package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.audit.AuditVerifier;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/** Health, readiness, the OpenAPI document and the audit log. */
final class SystemRoutes {
  private final Keygate kg;
  private final AdminAuth auth;
  private final byte[] openapi;

  SystemRoutes(Keygate kg, AdminAuth auth) {
    this.kg = kg;
    this.auth = auth;
    try (InputStream in = SystemRoutes.class.getResourceAsStream("/openapi.json")) {
      this.openapi = in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read openapi.json from the classpath", e);
    }
  }

  void register(JavalinConfig config) {
    config.routes.get("/healthz", ctx -> HttpApi.json(ctx, 200, Map.of("status", "ok")));
    config.routes.get("/readyz", this::ready);
    config.routes.get("/openapi.json", this::openapi);
    config.routes.get("/v1/audit", this::audit);
    config.routes.get("/v1/audit/verify", this::verifyAudit);
  }

  private void ready(Context ctx) {
    try {
      kg.store().findById("key_readiness_probe");
      HttpApi.json(ctx, 200, Map.of("status", "ready"));
    } catch (RuntimeException e) {
      HttpApi.json(ctx, 503, new Views.ErrorBody("store_unavailable", "the store does not answer"));
    }
  }

  private void openapi(Context ctx) {
    if (openapi == null) {
      throw new KeygateException.NotFound("no OpenAPI document packaged");
    }
    ctx.status(200).contentType("application/json").result(openapi);
  }

  /**
   * The whole audit log checked, as {@code keygate audit verify} does: 200 with {@code intact} and
   * every problem found. The log covers every owner, so owner-limited tokens are refused.
   */
  private void verifyAudit(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.AUDIT_READ);
    if (actor.ownerRestriction() != null) {
      throw new ApiError(
          403,
          "forbidden",
          "the audit log's integrity covers every owner; use an unrestricted token");
    }
    AuditVerifier.Report r = kg.verifyAudit();
    HttpApi.json(
        ctx,
        200,
        new Views.AuditVerification(
            r.intact(),
            r.events(),
            new Views.AuditHeadView(
                r.head().seq(),
                r.head().hash(),
                r.head().sealed(),
                r.head().sealed() ? r.head().keyedFrom() : null,
                r.head().sealed() ? r.head().keyVersion() : null),
            r.problems(),
            r.notes()));
  }

  private void audit(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.AUDIT_READ);
    int limit = Requests.intParam(ctx, "limit", 50, 1, 500);
    String cursor = Requests.param(ctx, "cursor");
    Long before = null;
    if (cursor != null) {
      try {
        before = Long.parseLong(cursor);
      } catch (NumberFormatException e) {
        throw Requests.invalidCursor();
      }
    }
    if (Requests.asksForOtherOwner(ctx, actor)) {
      HttpApi.json(ctx, 200, Views.ListPage.empty());
      return;
    }
    var events =
        kg.store()
            .audit(
                new AuditQuery(
                    Requests.param(ctx, "target_id"),
                    Requests.listedOwner(ctx, actor),
                    limit,
                    before));
    String next =
        events.size() == limit ? Long.toString(events.get(events.size() - 1).seq()) : null;
    HttpApi.json(
        ctx, 200, new Views.ListPage<>(events.stream().map(Views.AuditView::of).toList(), next));
  }
}
