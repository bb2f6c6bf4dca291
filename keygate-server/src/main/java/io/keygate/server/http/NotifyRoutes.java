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
    if (Requests.asksForOtherOwner(ctx, actor)) {
      HttpApi.json(ctx, 200, Views.ListPage.empty());
      return;
    }
    String owner = Requests.listedOwner(ctx, actor);
    String type = Requests.param(ctx, "type");
    if (type != null && !EventTypes.ALL.contains(type)) {
      throw new KeygateException.InvalidRequest(
          "invalid_type", "type must be one of " + EventTypes.ALL);
    }
    int limit = Requests.intParam(ctx, "limit", EventQuery.DEFAULT_LIMIT, 1, EventQuery.MAX_LIMIT);
    Page<EventDeliveries> page =
        Requests.page(
            () ->
                store.events(
                    new EventQuery(
                        owner,
                        Requests.param(ctx, "key_id"),
                        type,
                        limit,
                        Requests.param(ctx, "cursor"))));
    HttpApi.json(ctx, 200, Views.ListPage.of(page, NotifyViews.EventView::of));
  }
}
