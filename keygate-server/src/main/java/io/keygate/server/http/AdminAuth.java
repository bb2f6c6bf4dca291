package io.keygate.server.http;

import io.javalin.http.Context;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.request.PresentedKey;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.Verifier;
import io.keygate.core.verify.VerifyRequest;
import java.util.List;
import java.util.Map;

/**
 * Authenticates admin calls: {@code Authorization: Bearer <admin token>}, where the token is a
 * Keygate key of the admin type, verified on the same hot path as any key (state, allowlist),
 * holding the scope the route needs. An owner-limited token yields an {@link Actor} whose owner
 * restriction the lifecycle service enforces (other owners' keys are 404); the actor also carries
 * the token's scopes and expiry, beyond which it can never create or change admin tokens.
 *
 * <p><b>Security guarantees.</b> Only admin tokens authenticate: an API key is refused ({@code
 * 401}) by the verifier itself. Failed authentications count in the admin tokens' own brute-force
 * counters ({@link io.keygate.core.verify.CredentialKind#ADMIN_TOKEN}), so API-key guessing in an
 * address's name never locks its admins out; a blocked address gets {@code 429} with {@code
 * Retry-After}.
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

  /** The actor behind the request, whose token holds {@code scope}, or a 401/403/429 error. */
  public Actor require(Context ctx, String scope) {
    String ip = clientIp.of(ctx);
    Actor actor = Actor.ofToken(token(ctx, ip), ip);
    if (!actor.holdsAll(List.of(scope))) {
      throw new ApiError(403, "forbidden", "the admin token lacks the scope '" + scope + "'");
    }
    return actor;
  }

  /** The valid admin token of the request, whatever its scopes, or a 401/429 error. */
  public ApiKeyRecord token(Context ctx) {
    return token(ctx, clientIp.of(ctx));
  }

  /** {@link #token(Context)} for a request whose client IP {@code ip} is already resolved. */
  private ApiKeyRecord token(Context ctx, String ip) {
    String token = bearer(ctx);
    if (token == null) {
      throw new ApiError(
          401,
          "unauthorized",
          "an admin token is required: Authorization: Bearer <token>",
          CHALLENGE);
    }
    Verification v = verifier.authenticate(new VerifyRequest(token, ip, List.of(), null, null));
    if (v instanceof Verification.Rejected r) {
      if (r.outcome() == Outcome.RATE_LIMITED) {
        throw new ApiError(
            429,
            "rate_limited",
            r.message(),
            Map.of("Retry-After", Long.toString(r.retryAfterSeconds())));
      }
      throw new ApiError(
          401,
          "unauthorized",
          "the admin token is not valid (" + r.outcome().code() + "): " + r.message(),
          CHALLENGE);
    }
    return v.key();
  }

  /** The bearer token of a request, or {@code null}. */
  static String bearer(Context ctx) {
    return PresentedKey.bearer(ctx.header("Authorization"));
  }
}
