package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.Keygate;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.lifecycle.RotatedKey;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.Page;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Admin token routes under {@code /v1/admin-tokens}: create (the token shown once), list, show,
 * rotate, revoke. Reading needs {@code tokens:read}, changing {@code tokens:write}; the rules of
 * what a token may grant or change are {@link io.keygate.core.lifecycle.AdminTokens}' (never beyond
 * the caller's own scopes, owner and lifetime). Each handler is one method.
 */
final class AdminTokenRoutes {
  private final Keygate kg;
  private final AdminAuth auth;

  AdminTokenRoutes(Keygate kg, AdminAuth auth) {
    this.kg = kg;
    this.auth = auth;
  }

  /** {@code POST /v1/admin-tokens}. */
  record CreateTokenBody(String ownerId, String name, List<String> scopes, Integer expiresInDays) {}

  void register(JavalinConfig config) {
    config.routes.post("/v1/admin-tokens", this::create);
    config.routes.get("/v1/admin-tokens", this::list);
    config.routes.get("/v1/admin-tokens/{key_id}", this::get);
    config.routes.post("/v1/admin-tokens/{key_id}/rotate", this::rotate);
    config.routes.post("/v1/admin-tokens/{key_id}/revoke", this::revoke);
  }

  private void create(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.TOKENS_WRITE);
    CreateTokenBody b = Requests.body(ctx, CreateTokenBody.class);
    HttpApi.json(
        ctx,
        201,
        Views.TokenCreated.of(
            kg.adminTokens().create(b.ownerId(), b.scopes(), b.name(), b.expiresInDays(), actor)));
  }

  private void list(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.TOKENS_READ);
    KeyQuery q = Requests.keyQuery(ctx);
    Page<ApiKeyRecord> page = Requests.page(() -> kg.adminTokens().list(q, actor));
    Instant now = kg.clock().instant();
    HttpApi.json(ctx, 200, Views.ListPage.of(page, r -> Views.TokenView.of(r, now)));
  }

  private void get(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.TOKENS_READ);
    HttpApi.json(
        ctx,
        200,
        Views.TokenView.of(kg.adminTokens().get(Requests.keyId(ctx), actor), kg.clock().instant()));
  }

  private void rotate(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.TOKENS_WRITE);
    String id = Requests.keyId(ctx);
    Duration grace = Requests.grace(Requests.body(ctx, Bodies.RotateBody.class));
    RotatedKey r = kg.adminTokens().rotate(id, grace, actor);
    HttpApi.json(
        ctx,
        201,
        new Views.TokenRotated(
            Views.TokenCreated.of(r.newKey()),
            r.oldKey().keyId(),
            r.oldKeyRevokesAt(),
            Views.rotationMessage("token", grace, kg.keys().policy())));
  }

  private void revoke(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.TOKENS_WRITE);
    String id = Requests.keyId(ctx);
    Bodies.RevokeBody b = Requests.body(ctx, Bodies.RevokeBody.class);
    HttpApi.json(
        ctx,
        200,
        Views.TokenView.of(kg.adminTokens().revoke(id, b.reason(), actor), kg.clock().instant()));
  }
}
