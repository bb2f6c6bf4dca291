package io.keygate.server.http;

import io.javalin.http.Context;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.Verifier;
import io.keygate.core.verify.VerifyRequest;
import java.util.List;
import java.util.Map;

/**
 * Authenticates admin calls: {@code Authorization: Bearer <admin token>}, where the token is a
 * Keygate key of the admin type, verified on the same hot path as any key (state, allowlist),
 * holding the scope the route needs. An owner-limited token yields an {@link Actor} whose owner
 * restriction the lifecycle service enforces (other owners' keys are 404).
 */
public final class AdminAuth {
  private static final Map<String, String> CHALLENGE =
      Map.of("WWW-Authenticate", "Bearer realm=\"keygate\"");

  private final Verifier verifier;
  private final ClientIp clientIp;

  /** Authenticates with {@code verifier}; source IPs from {@code clientIp}. */
  public AdminAuth(Verifier verifier, ClientIp clientIp) {
    this.verifier = verifier;
    this.clientIp = clientIp;
  }

  /** The actor behind the request, or a 401/403 {@link ApiError}. */
  public Actor require(Context ctx, String scope) {
    String token = bearer(ctx);
    if (token == null) {
      throw new ApiError(
          401,
          "unauthorized",
          "an admin token is required: Authorization: Bearer <token>",
          CHALLENGE);
    }
    String ip = clientIp.of(ctx);
    Verification v = verifier.authenticate(new VerifyRequest(token, ip, List.of(), null, null));
    ApiKeyRecord rec = v.key();
    if (!v.valid() || !KeyTypes.ADMIN.equals(rec.type())) {
      throw new ApiError(
          401,
          "unauthorized",
          "the admin token is not valid ("
              + (rec != null && v.valid() ? "not an admin token" : v.outcome().code())
              + ")",
          CHALLENGE);
    }
    if (!rec.settings().scopes().contains(scope)) {
      throw new ApiError(403, "forbidden", "the admin token lacks the scope '" + scope + "'");
    }
    return new Actor(rec.keyId(), rec.ownerId(), ip);
  }

  /** The bearer token of a request, or {@code null}. */
  static String bearer(Context ctx) {
    String h = ctx.header("Authorization");
    if (h == null) {
      return null;
    }
    h = h.strip();
    if (h.length() > 7 && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String t = h.substring(7).strip();
      return t.isEmpty() ? null : t;
    }
    return null;
  }
}
