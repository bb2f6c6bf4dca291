package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.Page;
import io.keygate.core.monitor.Alert;
import io.keygate.core.monitor.AlertQuery;
import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.GrantUse;
import io.keygate.server.monitor.Monitoring;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Alert and least-privilege advice routes: {@code GET /v1/alerts}, {@code POST
 * /v1/alerts/{alert_id}/ack}, {@code GET /v1/keys/{key_id}/advice}. Owner-restricted tokens see
 * only their owner's alerts (alerts about no key, such as brute force, are operator-only). Each
 * handler is one method.
 */
final class AlertRoutes {
  /** Grants unused for this long are reported. */
  static final Duration ADVICE_WINDOW = Duration.ofDays(30);

  private final Monitoring m;
  private final AnomalyStore store;
  private final AdminAuth auth;

  AlertRoutes(Monitoring m, AnomalyStore store, AdminAuth auth) {
    this.m = m;
    this.store = store;
    this.auth = auth;
  }

  void register(JavalinConfig config) {
    config.routes.get("/v1/alerts", this::list);
    config.routes.post("/v1/alerts/{alert_id}/ack", this::ack);
    config.routes.get("/v1/keys/{key_id}/advice", this::advice);
  }

  /** An alert as the API shows it. */
  record AlertView(
      String alertId,
      String type,
      String keyId,
      String ownerId,
      String status,
      Map<String, Object> details,
      Instant windowStart,
      Instant createdAt,
      Instant acknowledgedAt,
      String acknowledgedBy) {
    static AlertView of(Alert a) {
      return new AlertView(
          a.alertId(),
          a.type(),
          a.keyId(),
          a.ownerId(),
          a.status(),
          a.details(),
          a.windowStart(),
          a.createdAt(),
          a.acknowledgedAt(),
          a.acknowledgedBy());
    }
  }

  private void list(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.ALERTS_READ);
    if (Requests.asksForOtherOwner(ctx, actor)) {
      throw new ApiError(403, "forbidden", "this token may only see its owner's alerts");
    }
    String owner = Requests.listedOwner(ctx, actor);
    int limit = Requests.intParam(ctx, "limit", AlertQuery.DEFAULT_LIMIT, 1, AlertQuery.MAX_LIMIT);
    String status = Requests.param(ctx, "status");
    if (status != null && !status.equals(Alert.OPEN) && !status.equals(Alert.ACKNOWLEDGED)) {
      throw new KeygateException.InvalidRequest(
          "invalid_status", "status must be open or acknowledged");
    }
    Page<Alert> page =
        Requests.page(
            () ->
                store.alerts(
                    new AlertQuery(
                        status,
                        Requests.param(ctx, "key_id"),
                        owner,
                        limit,
                        Requests.param(ctx, "cursor"))));
    HttpApi.json(ctx, 200, Views.ListPage.of(page, AlertView::of));
  }

  private void ack(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.ALERTS_WRITE);
    String id = ctx.pathParam("alert_id");
    Alert a =
        (id.length() > 64 ? Optional.<Alert>empty() : store.alert(id))
            .filter(x -> actor.ownerRestriction() == null || actor.canSee(x.ownerId()))
            .orElseThrow(
                () -> new KeygateException.NotFound("no alert with id " + HttpApi.redact(id)));
    Map<String, String> details =
        a.keyId() == null
            ? Map.of("type", a.type())
            : Map.of("type", a.type(), "key_id", a.keyId());
    store.acknowledge(
        a.alertId(),
        new AuditEntry(
            m.keygate().clock().instant(),
            actor.id(),
            "alert.acknowledged",
            a.alertId(),
            a.ownerId(),
            actor.sourceIp(),
            details));
    HttpApi.json(ctx, 200, AlertView.of(store.alert(a.alertId()).orElseThrow()));
  }

  /** One grant and its last use within the window, or {@code null}. */
  record GrantView(String value, Instant lastUsedAt) {}

  record AdviceView(
      String keyId,
      int windowDays,
      Instant since,
      boolean complete,
      String note,
      List<String> unusedScopes,
      List<String> unusedIpAllowlist,
      List<GrantView> scopes,
      List<GrantView> ipAllowlist) {}

  private void advice(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_READ);
    ApiKeyRecord key = m.keygate().keys().get(Requests.keyId(ctx), actor);
    Instant now = m.keygate().clock().instant();
    Instant since = now.minus(ADVICE_WINDOW);
    Map<String, Instant> used = new HashMap<>();
    List<GrantUse> uses = new ArrayList<>(store.grantUse(key.keyId()));
    m.anomalies().ifPresent(d -> uses.addAll(d.pendingGrantUse(key.keyId())));
    for (GrantUse u : uses) {
      used.merge(u.kind() + ':' + u.value(), u.lastUsedAt(), (a, b) -> a.isAfter(b) ? a : b);
    }
    List<GrantView> scopes = views(key.settings().scopes(), GrantUse.SCOPE, used);
    List<GrantView> ips = views(key.settings().ipAllowlist(), GrantUse.IP, used);
    boolean complete = !key.createdAt().isAfter(since);
    HttpApi.json(
        ctx,
        200,
        new AdviceView(
            key.keyId(),
            (int) ADVICE_WINDOW.toDays(),
            since,
            complete,
            complete
                ? "grants listed as unused were not used in the last 30 days: consider removing"
                    + " them"
                : "the key is younger than 30 days: grants not used yet may still be needed",
            unused(scopes, since),
            unused(ips, since),
            scopes,
            ips));
  }

  private static List<GrantView> views(
      List<String> granted, String kind, Map<String, Instant> used) {
    if (granted == null) {
      return List.of();
    }
    return granted.stream().map(g -> new GrantView(g, used.get(kind + ':' + g))).toList();
  }

  private static List<String> unused(List<GrantView> grants, Instant since) {
    return grants.stream()
        .filter(g -> g.lastUsedAt() == null || g.lastUsedAt().isBefore(since))
        .map(GrantView::value)
        .toList();
  }
}
