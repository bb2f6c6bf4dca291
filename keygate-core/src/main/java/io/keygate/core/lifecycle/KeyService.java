package io.keygate.core.lifecycle;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.model.Quota;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreTx;
import io.keygate.core.verify.Verifier;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Key lifecycle: create, read, list, update, disable/enable, revoke, rotate, and the sweep that
 * records revocations whose rotation grace period has ended.
 *
 * <p><b>Contract.</b> Each change and its audit event are written in one store transaction. The
 * verifier's cache entry for the key is invalidated after the commit and before the method returns,
 * so the change holds on the very next verification. An actor restricted to one owner gets {@link
 * KeygateException.NotFound} for every other owner's key. Every operation here is about API keys:
 * an admin token is {@link KeygateException.NotFound} to all of them and never listed (admin tokens
 * are managed by {@link AdminTokens}). A revoked or expired key cannot come back: update, enable,
 * disable and rotate refuse it ({@link KeygateException.Conflict} {@code key_revoked} / {@code
 * key_expired}); only revoking stays possible for an expired key. Every setting a client stores
 * passes one validation ({@link KeySettingsValidator}), shared with import and admin tokens.
 *
 * <p><b>Security guarantees.</b> The raw key exists only in the returned {@link CreatedKey}; the
 * store receives its HMAC. Key ids are random and independent of the secret. Thread-safe.
 */
public final class KeyService {
  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final Verifier verifier;
  private final KeyPolicy policy;
  private final Clock clock;
  private final Supplier<SecureRandom> random;
  private final KeySettingsValidator validator;
  private final KeyRotation rotation;
  private final KeyChanges changes;

  /** Wires the service; see {@link io.keygate.core.Keygate} for the usual way to build it. */
  public KeyService(
      KeyStore store,
      KeyFormat format,
      KeyHasher hasher,
      Verifier verifier,
      KeyPolicy policy,
      Clock clock,
      Supplier<SecureRandom> random) {
    this.store = store;
    this.format = format;
    this.hasher = hasher;
    this.verifier = verifier;
    this.policy = policy;
    this.clock = clock;
    this.random = random;
    this.validator = new KeySettingsValidator(format, policy);
    this.rotation = new KeyRotation(this, store, format, policy);
    this.changes = new KeyChanges(this, store, validator);
  }

  /** The validation every stored setting passes. */
  KeySettingsValidator validator() {
    return validator;
  }

  /** The current time, at the millisecond precision every store keeps. */
  Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /** The policy in force. */
  public KeyPolicy policy() {
    return policy;
  }

  /** Creates a key of a non-admin type and returns it with its secret. */
  public CreatedKey create(CreateKey req, Actor actor) {
    KeyType type = validator.keyType(req.type() == null ? KeyTypes.DEFAULT : req.type());
    String owner = KeySettingsValidator.owner(req.ownerId());
    if (!actor.canSee(owner)) {
      throw new KeygateException.InvalidRequest(
          "invalid_owner_id",
          "this token may only create keys for owner " + actor.ownerRestriction());
    }
    Instant now = now();
    KeySettings settings =
        KeySettingsValidator.settings(
            req.name(),
            req.scopes() == null ? policy.defaultScopes() : req.scopes(),
            req.ipAllowlist(),
            req.rateLimits(),
            req.meta(),
            req.quota() == null ? null : quotaFrom(req.quota(), now));
    Instant expiresAt = now.plus(validator.ttl(req.expiresInDays()));
    return insert(type, owner, settings, expiresAt, actor, now, Map.of("type", type.name()));
  }

  /**
   * Mints and stores a key or admin token with its audit event ({@code key.created} / {@code
   * admin_token.created}, with {@code details}) and, for an API key, its {@code key.created}
   * notification.
   */
  CreatedKey insert(
      KeyType type,
      String owner,
      KeySettings settings,
      Instant expiresAt,
      Actor actor,
      Instant now,
      Map<String, String> details) {
    CreatedKey created = mint(type, owner, settings, expiresAt, null, KeyStatus.ACTIVE, now);
    ApiKeyRecord rec = created.record();
    store.inTransaction(
        tx -> {
          tx.insertKey(rec);
          tx.appendAudit(audit(actor, auditAction(rec, "created"), rec, now, details));
          if (!rec.adminToken()) {
            tx.enqueueEvent(event(EventTypes.KEY_CREATED, rec, now, Map.of()));
          }
          return null;
        });
    return created;
  }

  /**
   * The audit action {@code verb} on {@code rec}: {@code key.<verb>} or {@code admin_token.<verb>}.
   */
  public static String auditAction(ApiKeyRecord rec, String verb) {
    return (rec.adminToken() ? "admin_token." : "key.") + verb;
  }

  /** A new key's record and secret (not stored). */
  CreatedKey mint(
      KeyType type,
      String owner,
      KeySettings settings,
      Instant expiresAt,
      String rotatedFrom,
      KeyStatus status,
      Instant now) {
    ApiKeySecret secret = format.generate(type);
    String raw = secret.reveal();
    KeyHasher.Hashed hashed = hasher.current(raw);
    ApiKeyRecord rec =
        new ApiKeyRecord(
            "key_" + KeyFormat.randomBase62(random.get(), 24),
            type.name(),
            KeyFormat.hint(type, raw),
            hashed.hash(),
            hashed.version(),
            owner,
            settings,
            status,
            now,
            now,
            expiresAt,
            null,
            null,
            null,
            rotatedFrom,
            null,
            null,
            0);
    return new CreatedKey(rec, secret);
  }

  /** The API key with this id, if the actor may see it; an admin token is not found. */
  public ApiKeyRecord get(String keyId, Actor actor) {
    return find(keyId, actor, false);
  }

  /**
   * The key ({@code adminToken} false) or admin token ({@code adminToken} true) with this id, if
   * the actor may see it.
   */
  ApiKeyRecord find(String keyId, Actor actor, boolean adminToken) {
    return store
        .findById(keyId)
        .filter(r -> r.adminToken() == adminToken && actor.canSee(r.ownerId()))
        .orElseThrow(() -> notFound(keyId, adminToken));
  }

  /** A page of API keys (never admin tokens); a restricted actor sees only its owner's keys. */
  public Page<ApiKeyRecord> list(KeyQuery query, Actor actor) {
    return page(query.ofAdminTokens(false), actor);
  }

  /** A page of {@code query}'s kind; a restricted actor sees only its owner's. */
  Page<ApiKeyRecord> page(KeyQuery query, Actor actor) {
    KeyQuery q = query;
    if (actor.ownerRestriction() != null) {
      if (query.ownerId() != null && !actor.canSee(query.ownerId())) {
        return new Page<>(List.of(), null);
      }
      q = query.forOwner(actor.ownerRestriction());
    }
    return store.list(q, now());
  }

  /** Applies a partial update to a key that is neither revoked nor expired. */
  public ApiKeyRecord update(String keyId, KeyPatch patch, Actor actor) {
    return changes.update(keyId, patch, actor);
  }

  /** Disables a key (reversible) that is neither revoked nor expired. */
  public ApiKeyRecord disable(String keyId, Actor actor) {
    return changes.disable(keyId, actor);
  }

  /** Enables a disabled key that is neither revoked nor expired. */
  public ApiKeyRecord enable(String keyId, Actor actor) {
    return changes.enable(keyId, actor);
  }

  /**
   * Revokes a key at once (also an expired one, which makes its end final). Revoking a revoked key
   * is a conflict.
   */
  public ApiKeyRecord revoke(String keyId, String reason, Actor actor) {
    return changes.revoke(keyId, reason, actor, false, r -> {});
  }

  /**
   * The revocation of {@link #revoke} for a key or ({@code adminToken}) an admin token, after
   * {@code check} accepted the locked record (it throws to refuse).
   */
  ApiKeyRecord revoke(
      String keyId, String reason, Actor actor, boolean adminToken, Consumer<ApiKeyRecord> check) {
    return changes.revoke(keyId, reason, actor, adminToken, check);
  }

  /**
   * Replaces a key that is neither revoked nor expired with a new one carrying all its settings and
   * its enabled/disabled state. The old key keeps working for {@code grace} (null = policy default;
   * zero = revoked now), then is revoked. Both keys, their links and the audit event are written in
   * one transaction.
   */
  public RotatedKey rotate(String keyId, Duration grace, Actor actor) {
    return rotation.rotate(keyId, grace, actor, false, null, r -> {});
  }

  /** The rotations, for admin tokens ({@link AdminTokens}). */
  KeyRotation rotation() {
    return rotation;
  }

  /**
   * The rotation of {@link #rotate} inside a transaction the caller runs, for services that write
   * more in the same transaction (the leak responder). {@code cur} must have been read with {@link
   * KeyStoreTx#lockKey}; the grace period is not checked against the policy. The caller must call
   * {@link Verifier#invalidate} with the old key's hash after the commit.
   *
   * @throws KeygateException.Conflict when {@code cur} is revoked, expired or already rotated
   */
  public RotatedKey rotateLocked(
      KeyStoreTx tx, ApiKeyRecord cur, Duration g, Actor actor, Instant now) {
    return rotation.rotateLocked(tx, cur, g, actor, now);
  }

  /**
   * Records the revocation of every key whose rotation grace period has ended. The verifier already
   * refuses them by its time check; this makes the stored state and audit log agree.
   *
   * @return how many keys were recorded as revoked
   */
  public int sweep() {
    return rotation.sweep();
  }

  /** Drops the changed key from every node's cache; a revocation travels with its state. */
  void announce(ApiKeyRecord changed) {
    if (changed.status() == KeyStatus.REVOKED && changed.revokedAt() != null) {
      verifier.invalidateRevoked(changed);
    } else {
      verifier.invalidate(changed.hash());
    }
  }

  /** The locked key or admin token, if {@code actor} may see it; else not found. */
  ApiKeyRecord locked(KeyStoreTx tx, String keyId, Actor actor, boolean adminToken) {
    return tx.lockKey(keyId)
        .filter(r -> r.adminToken() == adminToken && actor.canSee(r.ownerId()))
        .orElseThrow(() -> notFound(keyId, adminToken));
  }

  private static KeygateException.NotFound notFound(String keyId, boolean adminToken) {
    return new KeygateException.NotFound(
        (adminToken ? "no admin token with id " : "no key with id ") + keyId);
  }

  static void requireNotRevoked(ApiKeyRecord cur, Instant now, String what) {
    if (cur.effectiveStatus(now) == KeyStatus.REVOKED) {
      throw new KeygateException.Conflict(
          "key_revoked", "cannot " + what + " key " + cur.keyId() + ": it is revoked");
    }
  }

  /**
   * Refuses a key that is revoked or expired (also one that is disabled as well: disabling does not
   * stop the clock), so no change can bring it back.
   */
  static void requireAlive(ApiKeyRecord cur, Instant now, String what) {
    requireNotRevoked(cur, now, what);
    if (cur.expiresAt() != null && !now.isBefore(cur.expiresAt())) {
      throw new KeygateException.Conflict(
          "key_expired",
          "cannot "
              + what
              + " key "
              + cur.keyId()
              + ": it expired at "
              + cur.expiresAt()
              + "; create a new key instead");
    }
  }

  static AuditEntry audit(
      Actor actor, String action, ApiKeyRecord rec, Instant now, Map<String, String> details) {
    return new AuditEntry(
        now, actor.id(), action, rec.keyId(), rec.ownerId(), actor.sourceIp(), details);
  }

  /**
   * A notification event about {@code rec} for the outbox. Carries the key's id and hint, never the
   * key.
   */
  public OutboxEvent event(String type, ApiKeyRecord rec, Instant at, Map<String, Object> data) {
    return OutboxEvent.forKey(type, rec, at, data, random.get());
  }

  /** A quota as requested, its refill period starting now. */
  static Quota quotaFrom(Quota q, Instant now) {
    return new Quota(q.remaining(), q.refillAmount(), q.refill(), now);
  }
}
