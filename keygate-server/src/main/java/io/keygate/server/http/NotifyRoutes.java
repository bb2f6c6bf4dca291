package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.KeygateException;
import io.keygate.core.events.EventTypes;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.model.Page;
import io.keygate.core.notify.EventDeliveries;
import io.keygate.core.notify.EventQuery;
import io.keygate.core.notify.NotifyStore;
import io.keygate.server.notify.Owners;
import java.util.List;

/** Owner and event routes: {@code /v1/owners}, {@code /v1/events}. Each handler is one method. */
final class NotifyRoutes {
  private final Owners owners;
  private final NotifyStore store;
  private final AdminAuth auth;

  NotifyRoutes(Owners owners, NotifyStore store, AdminAuth auth) {
    this.owners = owners;
    this.store = store;
    this.auth = auth;
  }

  void register(JavalinConfig config) {
    config.routes.post("/v1/owners", this::create);
    config.routes.get("/v1/owners/{owner_id}", this::get);
    config.routes.patch("/v1/owners/{owner_id}", this::update);
    config.routes.get("/v1/events", this::events);
  }

  private void create(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.OWNERS_WRITE);
    NotifyViews.CreateOwnerBody b = Requests.body(ctx, NotifyViews.CreateOwnerBody.class);
    var o = owners.create(b.ownerId(), b.name(), hooks(b.webhooks()), b.emails(), actor);
    HttpApi.json(ctx, 201, NotifyViews.OwnerView.of(o, owners.emailEnabled()));
  }

  private void get(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.OWNERS_READ);
    HttpApi.json(
        ctx,
        200,
        NotifyViews.OwnerView.of(
            owners.get(ctx.pathParam("owner_id"), actor), owners.emailEnabled()));
  }

  private void update(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.OWNERS_WRITE);
    NotifyViews.PatchOwnerBody b = Requests.body(ctx, NotifyViews.PatchOwnerBody.class);
    var o =
        owners.update(ctx.pathParam("owner_id"), b.name(), hooks(b.webhooks()), b.emails(), actor);
    HttpApi.json(ctx, 200, NotifyViews.OwnerView.of(o, owners.emailEnabled()));
  }

  private static List<Owners.WebhookInput> hooks(List<NotifyViews.WebhookBody> in) {
    if (in == null) {
      return null;
    }
    return in.stream()
        .map(w -> w == null ? null : new Owners.WebhookInput(w.url(), w.secret()))
        .toList();
  }

  private void events(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.EVENTS_READ);
    String owner = emptyToNull(ctx.queryParam("owner_id"));
    if (actor.ownerRestriction() != null) {
      if (owner != null && !actor.canSee(owner)) {
        HttpApi.json(ctx, 200, new Views.ListPage<>(List.of(), null));
        return;
      }
      owner = actor.ownerRestriction();
    }
    String type = emptyToNull(ctx.queryParam("type"));
    if (type != null && !EventTypes.ALL.contains(type)) {
      throw new KeygateException.InvalidRequest(
          "invalid_type", "type must be one of " + EventTypes.ALL);
    }
    int limit = Requests.intParam(ctx, "limit", EventQuery.DEFAULT_LIMIT, 1, EventQuery.MAX_LIMIT);
    Page<EventDeliveries> page;
    try {
      page =
          store.events(
              new EventQuery(
                  owner,
                  emptyToNull(ctx.queryParam("key_id")),
                  type,
                  limit,
                  emptyToNull(ctx.queryParam("cursor"))));
    } catch (IllegalArgumentException e) {
      throw new KeygateException.InvalidRequest("invalid_cursor", "cursor is not valid");
    }
    HttpApi.json(
        ctx,
        200,
        new Views.ListPage<>(
            page.items().stream().map(NotifyViews.EventView::of).toList(), page.nextCursor()));
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
