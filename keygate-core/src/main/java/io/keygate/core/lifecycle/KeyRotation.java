package io.keygate.core.lifecycle;

import io.keygate.core.KeygateException;
import io.keygate.core.events.EventTypes;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyType;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreTx;
import io.keygate.core.verify.Verifier;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Rotation and the grace-period sweep of {@link KeyService}, which stays the front door and
 * delegates here. Same contract as {@link KeyService}: each change and its audit event in one
 * transaction, the verifier's cache entry invalidated after the commit. Thread-safe.
 */
final class KeyRotation {
  private static final int SWEEP_BATCH = 500;

  private final KeyService keys;
  private final KeyStore store;
  private final KeyFormat format;
  private final KeyPolicy policy;

  KeyRotation(KeyService keys, KeyStore store, KeyFormat format, KeyPolicy policy) {
    this.keys = keys;
    this.store = store;
    this.format = format;
    this.policy = policy;
  }

  /**
   * {@link KeyService#rotate} for a key or ({@code adminToken}) an admin token, whose successor
   * expires no later than {@code notAfter} (null: no cap), after {@code check} accepted the locked
   * record (it throws to refuse).
   */
  RotatedKey rotate(
      String keyId,
      Duration grace,
      Actor actor,
      boolean adminToken,
      Instant notAfter,
      Consumer<ApiKeyRecord> check) {
    Duration g = grace == null ? policy.defaultGrace() : grace;
    if (g.isNegative() || g.compareTo(policy.maxGrace()) > 0) {
      throw new KeygateException.InvalidRequest(
          "invalid_grace_period",
          "grace_period_hours must be 0.." + policy.maxGrace().toHours() + " (policy maximum)");
    }
    Instant now = keys.now();
    RotatedKey result =
        store.inTransaction(
            tx -> {
              ApiKeyRecord cur = keys.locked(tx, keyId, actor, adminToken);
              check.accept(cur);
              return rotateLocked(tx, cur, g, actor, now, notAfter);
            });
    keys.announce(result.oldKey());
    return result;
  }

  /**
   * The rotation of {@link #rotate} inside a transaction the caller runs, for services that write
   * more in the same transaction (the leak responder). {@code cur} must have been read with {@link
   * KeyStoreTx#lockKey}; the grace period is not checked against the policy. The caller must call
   * {@link Verifier#invalidate} with the old key's hash after the commit.
   *
   * @throws KeygateException.Conflict when {@code cur} is revoked, expired or already rotated
   */
  RotatedKey rotateLocked(KeyStoreTx tx, ApiKeyRecord cur, Duration g, Actor actor, Instant now) {
    return rotateLocked(tx, cur, g, actor, now, null);
  }

  private RotatedKey rotateLocked(
      KeyStoreTx tx, ApiKeyRecord cur, Duration g, Actor actor, Instant now, Instant notAfter) {
    String keyId = cur.keyId();
    KeyService.requireAlive(cur, now, "rotate");
    if (cur.revokesAt() != null || cur.rotatedTo() != null) {
      throw new KeygateException.Conflict(
          "key " + keyId + " was already rotated to " + cur.rotatedTo());
    }
    KeyType type =
        format
            .types()
            .byName(cur.type())
            .orElseThrow(
                () ->
                    new KeygateException.Conflict(
                        "invalid_key_type",
                        "key "
                            + keyId
                            + " has type '"
                            + cur.type()
                            + "', which is not configured"));
    Duration lifetime =
        cur.expiresAt() == null
            ? policy.defaultTtl()
            : Duration.between(cur.createdAt(), cur.expiresAt());
    if (lifetime.compareTo(policy.maxTtl()) > 0) {
      lifetime = policy.maxTtl();
    }
    Instant expiresAt = now.plus(lifetime);
    if (notAfter != null && expiresAt.isAfter(notAfter)) {
      expiresAt = notAfter;
    }
    // Rotation replaces the secret, not an admin's decision: a disabled key's successor starts
    // disabled, and enabling it is a separate, audited change.
    KeyStatus status = cur.status() == KeyStatus.DISABLED ? KeyStatus.DISABLED : KeyStatus.ACTIVE;
    CreatedKey fresh =
        keys.mint(type, cur.ownerId(), cur.settings(), expiresAt, cur.keyId(), status, now);
    Instant revokesAt = now.plus(g);
    ApiKeyRecord old = cur.rotatedTo(fresh.record().keyId(), revokesAt, now);
    if (g.isZero()) {
      old = old.revoked(now, "rotated", now);
    }
    tx.insertKey(fresh.record());
    tx.updateKey(old);
    tx.appendAudit(
        KeyService.audit(
            actor,
            KeyService.auditAction(old, "rotated"),
            old,
            now,
            Map.of(
                "new_key_id", fresh.record().keyId(),
                "old_key_revokes_at", revokesAt.toString())));
    tx.appendAudit(
        KeyService.audit(
            actor,
            KeyService.auditAction(old, "created"),
            fresh.record(),
            now,
            Map.of("rotated_from", keyId, "status", fresh.record().status().wire())));
    if (!old.adminToken()) {
      tx.enqueueEvent(
          keys.event(
              EventTypes.KEY_ROTATED,
              old,
              now,
              Map.of(
                  "new_key_id", fresh.record().keyId(),
                  "new_key_hint", fresh.record().hint(),
                  "old_key_revokes_at", revokesAt.toString())));
    }
    return new RotatedKey(fresh, old, revokesAt);
  }

  /**
   * Records the revocation of every key whose rotation grace period has ended. The verifier already
   * refuses them by its time check; this makes the stored state and audit log agree.
   *
   * @return how many keys were recorded as revoked
   */
  int sweep() {
    Instant now = keys.now();
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
                      KeyService.audit(
                          Actor.SYSTEM,
                          KeyService.auditAction(rev, "revoked"),
                          rev,
                          now,
                          Map.of("reason", "rotation grace period ended")));
                  if (!rev.adminToken()) {
                    tx.enqueueEvent(
                        keys.event(
                            EventTypes.KEY_REVOKED,
                            rev,
                            now,
                            Map.of("reason", "rotation grace period ended")));
                  }
                  return rev;
                });
        if (done != null) {
          keys.announce(done);
          total++;
        }
      }
    } while (due.size() == SWEEP_BATCH);
    return total;
  }
}
