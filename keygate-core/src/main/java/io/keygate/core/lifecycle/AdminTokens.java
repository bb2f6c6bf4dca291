package io.keygate.core.lifecycle;

import io.keygate.core.KeygateException;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.Page;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lifecycle of Keygate's own admin tokens: create, show, list, rotate, revoke. Admin tokens are
 * stored like keys but managed only here; {@link KeyService} treats them as not found.
 *
 * <p><b>Security guarantees.</b> A token can never create or act on a token beyond itself:
 *
 * <ul>
 *   <li>an actor limited to one owner sees, creates and manages only tokens limited to that owner
 *       (others are {@link KeygateException.NotFound}, an unrestricted token is never created by
 *       it);
 *   <li>a new token's scopes are admin scopes the actor holds ({@link KeygateException.Forbidden}
 *       {@code scope_not_held} otherwise), and it expires no later than the actor's token ({@code
 *       expiry_beyond_own});
 *   <li>rotating or revoking a token needs every scope that token holds, so a weaker token can
 *       neither receive a stronger token's new secret nor lock its holder out.
 * </ul>
 *
 * Operators (the CLI on the database, see {@link Actor}) are not limited by scopes or lifetime:
 * {@code keygate admin create-token} bootstraps the first token. Every change writes its audit
 * event ({@code admin_token.created}, {@code .rotated}, {@code .revoked}) in the same transaction,
 * and the verifier's cache entry is invalidated before the method returns. Thread-safe.
 */
public final class AdminTokens {
  private final KeyService keys;
  private final KeyFormat format;

  /** Admin tokens stored and changed through {@code keys}' machinery. */
  public AdminTokens(KeyService keys, KeyFormat format) {
    this.keys = keys;
    this.format = format;
  }

  /**
   * Creates an admin token and returns it with its secret (shown once).
   *
   * @param ownerId limit the token to this owner, or {@code null} for all owners (only for an
   *     unrestricted actor)
   * @param scopes admin scopes; {@code null} or empty for {@link AdminScopes#defaults}, narrowed to
   *     the scopes the actor holds
   * @param name a label, or {@code null}
   * @param expiresInDays lifetime in days (1..max TTL), or {@code null} for the max TTL, capped at
   *     the actor's own expiry
   */
  public CreatedKey create(
      String ownerId, List<String> scopes, String name, Integer expiresInDays, Actor actor) {
    String owner = ownerId == null ? null : KeySettingsValidator.owner(ownerId);
    if (actor.ownerRestriction() != null && (owner == null || !actor.canSee(owner))) {
      throw new KeygateException.InvalidRequest(
          "invalid_owner_id",
          "this token may only create tokens restricted to owner " + actor.ownerRestriction());
    }
    List<String> granted;
    if (scopes == null || scopes.isEmpty()) {
      granted =
          AdminScopes.defaults(owner).stream().filter(s -> actor.holdsAll(List.of(s))).toList();
    } else {
      granted = KeySettingsValidator.scopes(scopes);
      List<String> unknown = granted.stream().filter(s -> !AdminScopes.ALL.contains(s)).toList();
      if (!unknown.isEmpty()) {
        throw new KeygateException.InvalidRequest(
            "invalid_scopes", "not admin scopes: " + unknown + "; known: " + AdminScopes.ALL);
      }
      requireHeld(actor, granted, "this token cannot grant scopes it does not hold");
    }
    if (granted.isEmpty()) {
      throw new KeygateException.InvalidRequest(
          "invalid_scopes", "the token would hold no scope; give scopes this token holds");
    }
    Instant now = keys.now();
    Instant expiresAt =
        now.plus(
            expiresInDays == null ? keys.policy().maxTtl() : keys.validator().ttl(expiresInDays));
    if (actor.expiresAt() != null && expiresAt.isAfter(actor.expiresAt())) {
      if (expiresInDays != null) {
        throw new KeygateException.Forbidden(
            "expiry_beyond_own",
            "a token cannot outlive the token that creates it (" + actor.expiresAt() + ")");
      }
      expiresAt = actor.expiresAt();
    }
    KeySettings settings = KeySettingsValidator.settings(name, granted, null, null, null, null);
    Map<String, String> details = new LinkedHashMap<>();
    details.put("type", KeyTypes.ADMIN);
    details.put("scopes", String.join(" ", granted));
    return keys.insert(
        format.types().byName(KeyTypes.ADMIN).orElseThrow(),
        owner,
        settings,
        expiresAt,
        actor,
        now,
        details);
  }

  /** The admin token with this id, if the actor may see it. */
  public ApiKeyRecord get(String tokenId, Actor actor) {
    return keys.find(tokenId, actor, true);
  }

  /** A page of admin tokens (the query's kind is ignored); a restricted actor sees its owner's. */
  public Page<ApiKeyRecord> list(KeyQuery query, Actor actor) {
    return keys.page(query.ofAdminTokens(true), actor);
  }

  /**
   * Revokes an admin token at once: the actor must see it and hold every scope it holds. Revoking a
   * revoked token is a conflict.
   */
  public ApiKeyRecord revoke(String tokenId, String reason, Actor actor) {
    return keys.revoke(tokenId, reason, actor, true, t -> requireHeldBy(actor, t, "revoke"));
  }

  /**
   * Replaces an admin token that is neither revoked nor expired with a new one of the same owner
   * and scopes, expiring no later than the actor's token; the old one keeps working for {@code
   * grace} (null = policy default, zero = revoked now). The actor must see the token and hold every
   * scope it holds.
   */
  public RotatedKey rotate(String tokenId, Duration grace, Actor actor) {
    return keys.rotation()
        .rotate(
            tokenId, grace, actor, true, actor.expiresAt(), t -> requireHeldBy(actor, t, "rotate"));
  }

  /** Refuses to {@code what} {@code token} unless the actor holds every scope it holds. */
  private static void requireHeldBy(Actor actor, ApiKeyRecord token, String what) {
    requireHeld(
        actor,
        token.settings().scopes(),
        "this token cannot "
            + what
            + " admin token "
            + token.keyId()
            + ", which holds scopes this token lacks");
  }

  private static void requireHeld(Actor actor, List<String> scopes, String refusal) {
    if (!actor.holdsAll(scopes)) {
      List<String> missing = new ArrayList<>(scopes);
      missing.removeAll(actor.scopes());
      throw new KeygateException.Forbidden("scope_not_held", refusal + ": " + missing);
    }
  }
}
