package io.keygate.core.lifecycle;

import io.keygate.core.model.ApiKeyRecord;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * Who asks for a change, for authorization and the audit log.
 *
 * <p>An actor is either an admin token ({@link #ofToken}), limited by its owner restriction, its
 * scopes and its lifetime, or an operator (the CLI working on the database, Keygate's own jobs, a
 * signed partner callback), which scopes and lifetimes do not limit. What an actor grants to a new
 * admin token can never exceed what it holds: see {@link AdminTokens}.
 *
 * @param id an admin token's key id, {@code cli:<user>} or {@code system}
 * @param ownerRestriction when non-null, the actor may only see and change this owner's keys; other
 *     owners' keys are reported as not found
 * @param sourceIp the caller's IP, or {@code null}
 * @param scopes the admin scopes of the actor's token, or {@code null} for an operator
 * @param expiresAt when the actor's token expires, or {@code null} (operators, tokens without
 *     expiry)
 */
public record Actor(
    String id, String ownerRestriction, String sourceIp, List<String> scopes, Instant expiresAt) {
  /** Keygate's own background jobs. */
  public static final Actor SYSTEM = new Actor("system", null, null);

  /** An operator: not a token, so not limited by scopes or a lifetime. */
  public Actor(String id, String ownerRestriction, String sourceIp) {
    this(id, ownerRestriction, sourceIp, null, null);
  }

  /** Copies the scopes. */
  public Actor {
    scopes = scopes == null ? null : List.copyOf(scopes);
  }

  /** The actor behind an authenticated admin token. */
  public static Actor ofToken(ApiKeyRecord token, String sourceIp) {
    return new Actor(
        token.keyId(), token.ownerId(), sourceIp, token.settings().scopes(), token.expiresAt());
  }

  /** Whether this actor may touch keys of {@code ownerId}. */
  public boolean canSee(String ownerId) {
    return ownerRestriction == null || ownerRestriction.equals(ownerId);
  }

  /** Whether this actor holds every one of {@code wanted} (an operator holds every scope). */
  public boolean holdsAll(Collection<String> wanted) {
    return scopes == null || scopes.containsAll(wanted);
  }
}
