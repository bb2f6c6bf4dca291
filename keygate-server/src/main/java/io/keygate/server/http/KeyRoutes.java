package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.Keygate;
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
    KeyQuery q = Requests.keyQuery(ctx);
    Page<ApiKeyRecord> page = Requests.page(() -> kg.keys().list(q, actor));
    var now = kg.clock().instant();
    HttpApi.json(ctx, 200, Views.ListPage.of(page, r -> Views.KeyView.of(r, now)));
  }

  private void get(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_READ);
    answer(ctx, kg.keys().get(Requests.keyId(ctx), actor));
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
    answer(ctx, r);
  }

  private void revoke(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    String id = Requests.keyId(ctx);
    Bodies.RevokeBody b = Requests.body(ctx, Bodies.RevokeBody.class);
    answer(ctx, kg.keys().revoke(id, b.reason(), actor));
  }

  private void rotate(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    String id = Requests.keyId(ctx);
    Duration grace = Requests.grace(Requests.body(ctx, Bodies.RotateBody.class));
    RotatedKey r = kg.keys().rotate(id, grace, actor);
    String msg = Views.rotationMessage("key", grace, kg.keys().policy());
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

  private void disable(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    answer(ctx, kg.keys().disable(Requests.keyId(ctx), actor));
  }

  private void enable(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    answer(ctx, kg.keys().enable(Requests.keyId(ctx), actor));
  }

  /** 200 with the key as the API shows it now. */
  private void answer(Context ctx, ApiKeyRecord r) {
    HttpApi.json(ctx, 200, Views.KeyView.of(r, kg.clock().instant()));
  }
}
