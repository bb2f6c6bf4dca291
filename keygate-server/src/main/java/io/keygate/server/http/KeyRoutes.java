package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.KeyPatch;
import io.keygate.core.lifecycle.RotatedKey;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import java.time.Duration;

/** Key administration routes under {@code /v1/keys}. Each handler is one method. */
final class KeyRoutes {
  private final Keygate kg;
  private final AdminAuth auth;

  KeyRoutes(Keygate kg, AdminAuth auth) {
    this.kg = kg;
    this.auth = auth;
  }

  void register(JavalinConfig config) {
    config.routes.post("/v1/keys", this::create);
    config.routes.get("/v1/keys", this::list);
    config.routes.get("/v1/keys/{key_id}", this::get);
    config.routes.patch("/v1/keys/{key_id}", this::update);
    config.routes.post("/v1/keys/{key_id}/revoke", this::revoke);
    config.routes.post("/v1/keys/{key_id}/rotate", this::rotate);
    config.routes.post("/v1/keys/{key_id}/disable", this::disable);
    config.routes.post("/v1/keys/{key_id}/enable", this::enable);
  }

  private void create(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    Bodies.CreateKeyBody b = Requests.body(ctx, Bodies.CreateKeyBody.class);
    var created =
        kg.keys()
            .create(
                new CreateKey(
                    b.type(),
                    b.ownerId(),
                    b.name(),
                    b.scopes(),
                    b.ipAllowlist(),
                    Bodies.rateLimits(b.rateLimit(), b.rateLimits()),
                    b.expiresInDays(),
                    b.meta(),
                    Bodies.quota(b.quota())),
                actor);
    HttpApi.json(ctx, 201, Views.Created.of(created));
  }

  private void list(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_READ);
    KeyStatus status = null;
    String s = ctx.queryParam("status");
    if (s != null && !s.isEmpty()) {
      try {
        status = KeyStatus.fromWire(s);
      } catch (IllegalArgumentException e) {
        throw new KeygateException.InvalidRequest(
            "invalid_status", "status must be one of active, disabled, revoked, expired");
      }
    }
    int limit = Requests.intParam(ctx, "limit", KeyQuery.DEFAULT_LIMIT, 1, KeyQuery.MAX_LIMIT);
    String cursor = ctx.queryParam("cursor");
    KeyQuery q =
        new KeyQuery(
            emptyToNull(ctx.queryParam("owner_id")),
            status,
            emptyToNull(ctx.queryParam("type")),
            limit,
            emptyToNull(cursor));
    Page<ApiKeyRecord> page;
    try {
      page = kg.keys().list(q, actor);
    } catch (IllegalArgumentException e) {
      throw new KeygateException.InvalidRequest("invalid_cursor", "cursor is not valid");
    }
    var now = kg.clock().instant();
    HttpApi.json(
        ctx,
        200,
        new Views.ListPage<>(
            page.items().stream().map(r -> Views.KeyView.of(r, now)).toList(), page.nextCursor()));
  }

  private void get(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_READ);
    HttpApi.json(
        ctx,
        200,
        Views.KeyView.of(kg.keys().get(Requests.keyId(ctx), actor), kg.clock().instant()));
  }

  private void update(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    String id = Requests.keyId(ctx);
    Bodies.PatchKeyBody b = Requests.body(ctx, Bodies.PatchKeyBody.class);
    ApiKeyRecord r =
        kg.keys()
            .update(
                id,
                new KeyPatch(
                    b.name(),
                    b.scopes(),
                    b.ipAllowlist(),
                    Bodies.rateLimits(b.rateLimit(), b.rateLimits()),
                    b.expiresInDays(),
                    b.meta(),
                    Bodies.quota(b.quota())),
                actor);
    HttpApi.json(ctx, 200, Views.KeyView.of(r, kg.clock().instant()));
  }

  private void revoke(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    String id = Requests.keyId(ctx);
    Bodies.RevokeBody b = Requests.body(ctx, Bodies.RevokeBody.class);
    HttpApi.json(
        ctx, 200, Views.KeyView.of(kg.keys().revoke(id, b.reason(), actor), kg.clock().instant()));
  }

  private void rotate(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    String id = Requests.keyId(ctx);
    Bodies.RotateBody b = Requests.body(ctx, Bodies.RotateBody.class);
    Duration grace = null;
    if (b.gracePeriodHours() != null) {
      double h = b.gracePeriodHours();
      if (!Double.isFinite(h) || h < 0 || h > 1_000_000) {
        throw new KeygateException.InvalidRequest(
            "invalid_grace_period", "grace_period_hours must be a number >= 0");
      }
      grace = Duration.ofSeconds(Math.round(h * 3600));
    }
    RotatedKey r = kg.keys().rotate(id, grace, actor);
    // the grace granted, not "deadline minus a later clock read", which is a hair short of it
    Duration g = grace != null ? grace : kg.keys().policy().defaultGrace();
    String msg =
        g.isZero() || g.isNegative()
            ? "Old key revoked now"
            : "Old key will be revoked in " + formatHours(g) + " hours";
    if (r.newKey().record().status() == KeyStatus.DISABLED) {
      msg +=
          "; the new key is disabled, as the old one was: enable it with POST /v1/keys/"
              + r.newKey().record().keyId()
              + "/enable";
    }
    HttpApi.json(
        ctx,
        201,
        new Views.Rotated(
            Views.Created.of(r.newKey()), r.oldKey().keyId(), r.oldKeyRevokesAt(), msg));
  }

  private static String formatHours(Duration d) {
    double h = d.toSeconds() / 3600.0;
    return h == Math.rint(h) ? Long.toString((long) h) : String.format("%.2f", h);
  }

  private void disable(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    HttpApi.json(
        ctx,
        200,
        Views.KeyView.of(kg.keys().disable(Requests.keyId(ctx), actor), kg.clock().instant()));
  }

  private void enable(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    HttpApi.json(
        ctx,
        200,
        Views.KeyView.of(kg.keys().enable(Requests.keyId(ctx), actor), kg.clock().instant()));
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
