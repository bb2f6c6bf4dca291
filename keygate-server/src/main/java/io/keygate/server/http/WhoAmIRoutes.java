package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.Keygate;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/whoami}: what the presented admin token may do — its key id, the owner it is
 * limited to (or {@code null} for all owners) and its scopes. Any valid admin token may ask,
 * whatever its scopes; the answer holds nothing the token's holder does not already have. The admin
 * UI uses it to show "limited to owner X" and to offer only the sections the token can use.
 */
public final class WhoAmIRoutes {
  private static final Map<String, String> CHALLENGE =
      Map.of("WWW-Authenticate", "Bearer realm=\"keygate\"");

  private final Keygate kg;
  private final ClientIp clientIp;

  /** Authenticates with {@code kg}'s verifier; source IPs from {@code clientIp}. */
  public WhoAmIRoutes(Keygate kg, ClientIp clientIp) {
    this.kg = kg;
    this.clientIp = clientIp;
  }

  /** The answer of {@code GET /v1/whoami}. */
  record WhoAmI(
      String keyId, String ownerId, List<String> scopes, String name, Instant expiresAt) {}

  /** Registers {@code GET /v1/whoami}. */
  public void register(JavalinConfig config) {
    config.routes.get("/v1/whoami", this::whoami);
  }

  private void whoami(Context ctx) {
    String token = AdminAuth.bearer(ctx);
    if (token == null) {
      throw new ApiError(
          401,
          "unauthorized",
          "an admin token is required: Authorization: Bearer <token>",
          CHALLENGE);
    }
    Verification v =
        kg.verifier()
            .authenticate(new VerifyRequest(token, clientIp.of(ctx), List.of(), null, null));
    ApiKeyRecord rec = v.key();
    if (!v.valid() || rec == null || !KeyTypes.ADMIN.equals(rec.type())) {
      throw new ApiError(
          401,
          "unauthorized",
          "the admin token is not valid ("
              + (rec != null && v.valid() ? "not an admin token" : v.outcome().code())
              + ")",
          CHALLENGE);
    }
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
