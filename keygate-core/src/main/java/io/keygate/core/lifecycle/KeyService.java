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
import io.keygate.core.model.RateLimit;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreTx;
import io.keygate.core.verify.EndpointRules;
import io.keygate.core.verify.IpAllowlist;
import io.keygate.core.verify.Verifier;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Key lifecycle: create, read, list, update, disable/enable, revoke, rotate, and the sweep that
 * records revocations whose rotation grace period has ended.
 *
 * <p><b>Contract.</b> Each change and its audit event are written in one store transaction. The
 * verifier's cache entry for the key is invalidated after the commit and before the method returns,
 * so the change holds on the very next verification. An actor restricted to one owner gets {@link
 * KeygateException.NotFound} for every other owner's key.
 *
 * <p><b>Security guarantees.</b> The raw key exists only in the returned {@link CreatedKey}; the
 * store receives its HMAC. Key ids are random and independent of the secret. Thread-safe.
 */
public final class KeyService {
  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
  private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9:._*/-]{1,64}");
  private static final int MAX_SCOPES = 100;
  private static final int MAX_ALLOWLIST = 100;
  private static final int MAX_RATE_LIMITS = 10;
  private static final int MAX_NAME = 200;
  private static final int MAX_META_ENTRIES = 50;
  private static final int SWEEP_BATCH = 500;

  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final Verifier verifier;
  private final KeyPolicy policy;
  private final Clock clock;
  private final Supplier<SecureRandom> random;

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
  }

  /** The current time, at the millisecond precision every store keeps. */
  private Instant now() {
    return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
  }

  /** The policy in force. */
  public KeyPolicy policy() {
    return policy;
  }

  /** Creates a key of a non-admin type and returns it with its secret. */
  public CreatedKey create(CreateKey req, Actor actor) {
    KeyType type = keyType(req.type() == null ? KeyTypes.DEFAULT : req.type());
    if (type.admin()) {
      throw new KeygateException.InvalidRequest(
          "invalid_key_type", "admin tokens are created with 'keygate admin create-token'");
    }
    String owner = requireOwner(req.ownerId());
    if (!actor.canSee(owner)) {
      throw new KeygateException.InvalidRequest(
          "invalid_owner_id",
          "this token may only create keys for owner " + actor.ownerRestriction());
    }
    KeySettings settings =
        settings(
            req.name(),
            req.scopes() == null ? policy.defaultScopes() : req.scopes(),
            req.ipAllowlist(),
            req.rateLimits(),
            req.meta());
    Instant now = now();
    if (req.quota() != null) {
      settings = settings.withQuota(quotaFrom(req.quota(), now));
    }
    Instant expiresAt = now.plus(ttl(req.expiresInDays()));
    return insert(type, owner, settings, expiresAt, null, "key.created", actor, now);
  }

  /**
   * Creates a Keygate admin token.
   *
   * @param ownerId restrict the token to this owner, or {@code null} for all owners
   * @param scopes admin scopes, or {@code null} for {@link AdminScopes#ALL}
   */
  public CreatedKey createAdminToken(
      String ownerId, List<String> scopes, String name, Actor actor) {
    KeyType type = keyType(KeyTypes.ADMIN);
    String owner = ownerId == null ? null : requireOwner(ownerId);
    if (actor.ownerRestriction() != null && (owner == null || !actor.canSee(owner))) {
      throw new KeygateException.InvalidRequest(
          "invalid_owner_id",
          "this token may only create tokens restricted to owner " + actor.ownerRestriction());
    }
    List<String> granted = scopes == null || scopes.isEmpty() ? AdminScopes.ALL : scopes;
    KeySettings settings = settings(name, granted, List.of(), List.of(), Map.of());
    Instant now = now();
    return insert(
        type, owner, settings, now.plus(policy.maxTtl()), null, "admin_token.created", actor, now);
  }

  private CreatedKey insert(
      KeyType type,
      String owner,
      KeySettings settings,
      Instant expiresAt,
      String rotatedFrom,
      String action,
      Actor actor,
      Instant now) {
    CreatedKey created = mint(type, owner, settings, expiresAt, rotatedFrom, KeyStatus.ACTIVE, now);
    ApiKeyRecord rec = created.record();
    store.inTransaction(
        tx -> {
          tx.insertKey(rec);
          tx.appendAudit(audit(actor, action, rec, now, Map.of("type", type.name())));
          if (!type.admin()) {
            tx.enqueueEvent(event(EventTypes.KEY_CREATED, rec, now, Map.of()));
          }
          return null;
        });
    return created;
  }

  private CreatedKey mint(
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

  /** The key with this id, if the actor may see it. */
  public ApiKeyRecord get(String keyId, Actor actor) {
    return store
        .findById(keyId)
        .filter(r -> actor.canSee(r.ownerId()))
        .orElseThrow(() -> new KeygateException.NotFound("no key with id " + keyId));
  }

  /** A page of keys; a restricted actor sees only its owner's keys. */
  public Page<ApiKeyRecord> list(KeyQuery query, Actor actor) {
    KeyQuery q = query;
    if (actor.ownerRestriction() != null) {
      if (query.ownerId() != null && !actor.canSee(query.ownerId())) {
        return new Page<>(List.of(), null);
      }
      q = query.forOwner(actor.ownerRestriction());
    }
    return store.list(q, now());
  }

  /** Applies a partial update to a key that is not revoked. */
  public ApiKeyRecord update(String keyId, KeyPatch patch, Actor actor) {
    Instant now = now();
    return change(
        keyId,
        actor,
        "key.updated",
        (tx, cur) -> {
          requireNotRevoked(cur, now, "update");
          KeySettings s = cur.settings();
          KeySettings next =
              settings(
                  patch.name() == null ? s.name() : patch.name(),
                  patch.scopes() == null ? s.scopes() : patch.scopes(),
                  patch.ipAllowlist() == null ? s.ipAllowlist() : patch.ipAllowlist(),
                  patch.rateLimits() == null ? s.rateLimits() : patch.rateLimits(),
                  patch.meta() == null ? s.meta() : patch.meta());
          next = next.withQuota(patch.quota() == null ? s.quota() : quotaFrom(patch.quota(), now));
          Instant expires =
              patch.expiresInDays() == null
                  ? cur.expiresAt()
                  : now.plus(ttl(patch.expiresInDays()));
          return cur.withSettings(next, expires, now);
        },
        changedFields(patch));
  }

  /** Disables a key (reversible). */
  public ApiKeyRecord disable(String keyId, Actor actor) {
    Instant now = now();
    return change(
        keyId,
        actor,
        "key.disabled",
        (tx, cur) -> {
          requireNotRevoked(cur, now, "disable");
          return cur.withStatus(KeyStatus.DISABLED, now);
        },
        Map.of());
  }

  /** Enables a disabled key. */
  public ApiKeyRecord enable(String keyId, Actor actor) {
    Instant now = now();
    return change(
        keyId,
        actor,
        "key.enabled",
        (tx, cur) -> {
          requireNotRevoked(cur, now, "enable");
          return cur.withStatus(KeyStatus.ACTIVE, now);
        },
        Map.of());
  }

  /** Revokes a key at once. Revoking a revoked key is a conflict. */
  public ApiKeyRecord revoke(String keyId, String reason, Actor actor) {
    Instant now = now();
    String why = reason == null || reason.isBlank() ? "unspecified" : reason.strip();
    if (why.length() > 500) {
      throw new KeygateException.InvalidRequest(
          "invalid_reason", "reason is at most 500 characters");
    }
    return change(
        keyId,
        actor,
        "key.revoked",
        (tx, cur) -> {
          requireNotRevoked(cur, now, "revoke");
          ApiKeyRecord rev = cur.revoked(now, why, now);
          tx.enqueueEvent(event(EventTypes.KEY_REVOKED, rev, now, Map.of("reason", why)));
          return rev;
        },
        Map.of("reason", why));
  }

  /**
   * Replaces a key with a new one carrying all its settings and its enabled/disabled state. The old
   * key keeps working for {@code grace} (null = policy default; zero = revoked now), then is
   * revoked. Both keys, their links and the audit event are written in one transaction.
   */
  public RotatedKey rotate(String keyId, Duration grace, Actor actor) {
    Duration g = grace == null ? policy.defaultGrace() : grace;
    if (g.isNegative() || g.compareTo(policy.maxGrace()) > 0) {
      throw new KeygateException.InvalidRequest(
          "invalid_grace_period",
          "grace_period_hours must be 0.." + policy.maxGrace().toHours() + " (policy maximum)");
    }
    Instant now = now();
    RotatedKey result =
        store.inTransaction(tx -> rotateLocked(tx, locked(tx, keyId, actor), g, actor, now));
    announce(result.oldKey());
    return result;
  }

  /**
   * The rotation of {@link #rotate} inside a transaction the caller runs, for services that write
   * more in the same transaction (the leak responder). {@code cur} must have been read with {@link
   * KeyStoreTx#lockKey}; the grace period is not checked against the policy. The caller must call
   * {@link Verifier#invalidate} with the old key's hash after the commit.
   */
  public RotatedKey rotateLocked(
      KeyStoreTx tx, ApiKeyRecord cur, Duration g, Actor actor, Instant now) {
    String keyId = cur.keyId();
    requireNotRevoked(cur, now, "rotate");
    if (cur.revokesAt() != null || cur.rotatedTo() != null) {
      throw new KeygateException.Conflict(
          "key " + keyId + " was already rotated to " + cur.rotatedTo());
    }
    KeyType type = keyType(cur.type());
    Duration lifetime =
        cur.expiresAt() == null
            ? policy.defaultTtl()
            : Duration.between(cur.createdAt(), cur.expiresAt());
    if (lifetime.compareTo(policy.maxTtl()) > 0) {
      lifetime = policy.maxTtl();
    }
    // Rotation replaces the secret, not an admin's decision: a disabled key's successor starts
    // disabled, and enabling it is a separate, audited change.
    KeyStatus status = cur.status() == KeyStatus.DISABLED ? KeyStatus.DISABLED : KeyStatus.ACTIVE;
    CreatedKey fresh =
        mint(type, cur.ownerId(), cur.settings(), now.plus(lifetime), cur.keyId(), status, now);
    Instant revokesAt = now.plus(g);
    ApiKeyRecord old = cur.rotatedTo(fresh.record().keyId(), revokesAt, now);
    if (g.isZero()) {
      old = old.revoked(now, "rotated", now);
    }
    tx.insertKey(fresh.record());
    tx.updateKey(old);
    tx.appendAudit(
        audit(
            actor,
            "key.rotated",
            old,
            now,
            Map.of(
                "new_key_id", fresh.record().keyId(),
                "old_key_revokes_at", revokesAt.toString())));
    tx.appendAudit(
        audit(
            actor,
            "key.created",
            fresh.record(),
            now,
            Map.of("rotated_from", keyId, "status", fresh.record().status().wire())));
    tx.enqueueEvent(
        event(
            EventTypes.KEY_ROTATED,
            old,
            now,
            Map.of(
                "new_key_id", fresh.record().keyId(),
                "new_key_hint", fresh.record().hint(),
                "old_key_revokes_at", revokesAt.toString())));
    return new RotatedKey(fresh, old, revokesAt);
  }

  /**
   * Records the revocation of every key whose rotation grace period has ended. The verifier already
   * refuses them by its time check; this makes the stored state and audit log agree.
   *
   * @return how many keys were recorded as revoked
   */
  public int sweep() {
    Instant now = now();
    int total = 0;
    List<ApiKeyRecord> due;
    do {
      due = store.dueForRevocation(now, SWEEP_BATCH);
      for (ApiKeyRecord r : due) {
        ApiKeyRecord done =
            store.inTransaction(
                tx -> {
                  ApiKeyRecord cur = tx.lockKey(r.keyId()).orElse(null);
                  if (cur == null
                      || cur.status() == KeyStatus.REVOKED
                      || cur.revokesAt() == null
                      || cur.revokesAt().isAfter(now)) {
                    return null;
                  }
                  ApiKeyRecord rev = cur.revoked(cur.revokesAt(), "rotated", now);
                  tx.updateKey(rev);
                  tx.appendAudit(
                      audit(
                          Actor.SYSTEM,
                          "key.revoked",
                          rev,
                          now,
                          Map.of("reason", "rotation grace period ended")));
                  tx.enqueueEvent(
                      event(
                          EventTypes.KEY_REVOKED,
                          rev,
                          now,
                          Map.of("reason", "rotation grace period ended")));
                  return rev;
                });
        if (done != null) {
          announce(done);
          total++;
        }
      }
    } while (due.size() == SWEEP_BATCH);
    return total;
  }

  private interface Change {
    ApiKeyRecord apply(KeyStoreTx tx, ApiKeyRecord current);
  }

  private ApiKeyRecord change(
      String keyId, Actor actor, String action, Change change, Map<String, String> details) {
    Instant now = now();
    ApiKeyRecord updated =
        store.inTransaction(
            tx -> {
              ApiKeyRecord cur = locked(tx, keyId, actor);
              ApiKeyRecord next = change.apply(tx, cur);
              tx.updateKey(next);
              tx.appendAudit(audit(actor, action, next, now, details));
              return next;
            });
    announce(updated);
    return updated;
  }

  /** Drops the changed key from every node's cache; a revocation travels with its state. */
  private void announce(ApiKeyRecord changed) {
    if (changed.status() == KeyStatus.REVOKED && changed.revokedAt() != null) {
      verifier.invalidateRevoked(changed);
    } else {
      verifier.invalidate(changed.hash());
    }
  }

  private ApiKeyRecord locked(KeyStoreTx tx, String keyId, Actor actor) {
    return tx.lockKey(keyId)
        .filter(r -> actor.canSee(r.ownerId()))
        .orElseThrow(() -> new KeygateException.NotFound("no key with id " + keyId));
  }

  private static void requireNotRevoked(ApiKeyRecord cur, Instant now, String what) {
    if (cur.effectiveStatus(now) == KeyStatus.REVOKED) {
      throw new KeygateException.Conflict(
          "cannot " + what + " key " + cur.keyId() + ": it is revoked");
    }
  }

  private static AuditEntry audit(
      Actor actor, String action, ApiKeyRecord rec, Instant now, Map<String, String> details) {
    return new AuditEntry(
        now, actor.id(), action, rec.keyId(), rec.ownerId(), actor.sourceIp(), details);
  }

  /**
   * A notification event about {@code rec} for the outbox. Carries the key's id and hint, never the
   * key.
   */
  public OutboxEvent event(String type, ApiKeyRecord rec, Instant at, Map<String, Object> data) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("key_id", rec.keyId());
    d.put("key_hint", rec.hint());
    d.put("key_type", rec.type());
    d.put("key_name", rec.settings().name());
    d.putAll(data);
    return new OutboxEvent(
        "evt_" + KeyFormat.randomBase62(random.get(), 24), type, rec.ownerId(), rec.keyId(), at, d);
  }

  private static Map<String, String> changedFields(KeyPatch p) {
    Map<String, String> m = new LinkedHashMap<>();
    if (p.name() != null) m.put("name", "changed");
    if (p.scopes() != null) m.put("scopes", String.join(" ", p.scopes()));
    if (p.ipAllowlist() != null) m.put("ip_allowlist", String.join(" ", p.ipAllowlist()));
    if (p.rateLimits() != null) m.put("rate_limits", "changed");
    if (p.expiresInDays() != null) m.put("expires_in_days", p.expiresInDays().toString());
    if (p.meta() != null) m.put("meta", "changed");
    if (p.quota() != null) m.put("quota", Long.toString(p.quota().remaining()));
    return m;
  }

  private KeyType keyType(String name) {
    return format
        .types()
        .byName(name)
        .orElseThrow(
            () ->
                new KeygateException.InvalidRequest(
                    "invalid_key_type",
                    "unknown key type '"
                        + name
                        + "'; known: "
                        + format.types().all().stream()
                            .filter(t -> !t.admin())
                            .map(KeyType::name)
                            .toList()));
  }

  private static String requireOwner(String owner) {
    if (owner == null || !OWNER.matcher(owner).matches()) {
      throw new KeygateException.InvalidRequest(
          "invalid_owner_id", "owner_id is required: 1-128 characters of [A-Za-z0-9._:@-]");
    }
    return owner;
  }

  private Duration ttl(Integer days) {
    if (days == null) {
      return policy.defaultTtl();
    }
    long max = policy.maxTtl().toDays();
    if (days < 1 || days > max) {
      throw new KeygateException.InvalidRequest(
          "invalid_expiry", "expires_in_days must be 1.." + max + " (max TTL policy)");
    }
    return Duration.ofDays(days);
  }

  /** A quota as requested, its refill period starting now. */
  private static Quota quotaFrom(Quota q, Instant now) {
    return new Quota(q.remaining(), q.refillAmount(), q.refill(), now);
  }

  private static KeySettings settings(
      String name,
      List<String> scopes,
      List<String> allowlist,
      List<RateLimit> limits,
      Map<String, Object> meta) {
    if (name != null && name.length() > MAX_NAME) {
      throw new KeygateException.InvalidRequest(
          "invalid_name", "name is at most " + MAX_NAME + " characters");
    }
    if (scopes.isEmpty() || scopes.size() > MAX_SCOPES) {
      throw new KeygateException.InvalidRequest(
          "invalid_scopes", "scopes must hold 1.." + MAX_SCOPES + " scopes");
    }
    for (String s : scopes) {
      if (EndpointRules.isRule(s)) {
        try {
          EndpointRules.validate(s);
        } catch (IllegalArgumentException e) {
          throw new KeygateException.InvalidRequest("invalid_scopes", e.getMessage());
        }
        continue;
      }
      if (s == null || !SCOPE.matcher(s).matches()) {
        throw new KeygateException.InvalidRequest(
            "invalid_scopes",
            "scope must be 1-64 characters of [A-Za-z0-9:._*/-], or an endpoint rule"
                + " 'METHOD /path/pattern': "
                + s);
      }
    }
    List<String> ips = allowlist == null ? List.of() : allowlist;
    if (ips.size() > MAX_ALLOWLIST) {
      throw new KeygateException.InvalidRequest(
          "invalid_ip_allowlist", "ip_allowlist holds at most " + MAX_ALLOWLIST + " entries");
    }
    try {
      IpAllowlist.parse(ips);
    } catch (IllegalArgumentException e) {
      throw new KeygateException.InvalidRequest("invalid_ip_allowlist", e.getMessage());
    }
    List<RateLimit> rl = limits == null ? List.of() : limits;
    Set<String> names = new HashSet<>();
    if (rl.size() > MAX_RATE_LIMITS) {
      throw new KeygateException.InvalidRequest(
          "invalid_rate_limit", "at most " + MAX_RATE_LIMITS + " rate limits per key");
    }
    for (RateLimit r : rl) {
      if (!names.add(r.name())) {
        throw new KeygateException.InvalidRequest(
            "invalid_rate_limit", "duplicate rate limit name: " + r.name());
      }
    }
    if (meta != null && meta.size() > MAX_META_ENTRIES) {
      throw new KeygateException.InvalidRequest(
          "invalid_meta", "meta holds at most " + MAX_META_ENTRIES + " entries");
    }
    return new KeySettings(name, List.copyOf(new java.util.LinkedHashSet<>(scopes)), ips, rl, meta);
  }
}
