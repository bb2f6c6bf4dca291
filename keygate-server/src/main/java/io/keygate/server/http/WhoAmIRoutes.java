package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.model.ApiKeyRecord;
import java.time.Instant;
import java.util.List;

/**
 * {@code GET /v1/whoami}: what the presented admin token may do — its key id, the owner it is
 * limited to (or {@code null} for all owners) and its scopes. Any valid admin token may ask,
 * whatever its scopes; the answer holds nothing the token's holder does not already have. The admin
 * UI uses it to show "limited to owner X" and to offer only the sections the token can use.
 */
public final class WhoAmIRoutes {
  private final AdminAuth auth;

  /** Authenticates with {@code auth}. */
  public WhoAmIRoutes(AdminAuth auth) {
    this.auth = auth;
  }

  /** The answer of {@code GET /v1/whoami}. */
  record WhoAmI(
      String keyId, String ownerId, List<String> scopes, String name, Instant expiresAt) {}

  /** Registers {@code GET /v1/whoami}. */
  public void register(JavalinConfig config) {
    config.routes.get("/v1/whoami", this::whoami);
  }

  private void whoami(Context ctx) {
    ApiKeyRecord rec = auth.token(ctx);
    HttpApi.json(
        ctx,
        200,
        new WhoAmI(
            rec.keyId(),
            rec.ownerId(),
            rec.settings().scopes(),
            rec.settings().name(),
            rec.expiresAt()));
  }
}
