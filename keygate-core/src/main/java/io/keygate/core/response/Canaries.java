package io.keygate.core.response;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.leaks.Canary;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.lifecycle.KeyService;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.CanaryAlarm;
import io.keygate.core.verify.Verifier;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * Canary keys: decoys that look exactly like real keys ({@code sk_live_…}) and never grant access.
 *
 * <p><b>Design.</b> A canary is an ordinary stored key, revoked at creation with the reason {@link
 * CanaryAlarm#REVOKE_REASON}, plus a row in the store's canary table that carries its label.
 * Revoked is the one state no API can undo (update, enable and rotate all refuse revoked keys), so
 * a canary can never be turned into a working key. The {@link Verifier} recognises one on a cache
 * miss by that reason (no extra query for any other key) confirmed against the canary table, caches
 * the verdict, answers {@code invalid_key} — never {@code key_revoked}, which would tell an
 * attacker the key was real — and calls {@link #tripped}, which writes a {@link
 * EventTypes#CANARY_TRIGGERED} outbox event and a {@code canary.triggered} audit event with the
 * caller's IP, user agent and the time.
 *
 * <p>Alarms are deduplicated per canary: at most one per {@link #ALARM_INTERVAL}; the next alarm
 * carries how many presentations were suppressed, so a flood of attempts cannot turn into a flood
 * of writes. Thread-safe.
 */
public final class Canaries {
  private static final int MAX_LABEL = 200;

  private final KeyStore store;
  private final KeyService keys;
  private final Clock clock;
  private final CanaryAlarms alarms;

  /**
   * Wires the service; see {@code io.keygate.core.Keygate#canaries()}. {@code alarms} records what
   * the verifier reports (it is made before the key service, which needs the verifier).
   */
  public Canaries(KeyStore store, KeyService keys, Clock clock, CanaryAlarms alarms) {
    this.store = store;
    this.keys = keys;
    this.clock = clock;
    this.alarms = alarms;
  }

  /**
   * Creates a canary and returns its key, shown this once. The key is minted by {@link
   * KeyService#create} (so it is indistinguishable from a real key of {@code type}) and marked in a
   * second transaction; until then nobody but this method holds its secret.
   */
  public CreatedKey create(String ownerId, String label, String type, Actor actor) {
    String l = label == null ? "" : label.strip();
    if (l.isEmpty() || l.length() > MAX_LABEL) {
      throw new KeygateException.InvalidRequest(
          "invalid_label", "label is required: where the canary is planted, 1.." + MAX_LABEL);
    }
    String t = type == null ? KeyTypes.DEFAULT : type;
    CreatedKey created =
        keys.create(new CreateKey(t, ownerId, l, null, null, null, null, null), actor);
    ApiKeyRecord rec = created.record();
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    try {
      store.inTransaction(
          tx -> {
            ApiKeyRecord cur = tx.lockKey(rec.keyId()).orElseThrow();
            tx.updateKey(cur.revoked(now, CanaryAlarm.REVOKE_REASON, now));
            tx.insertCanary(new Canary(rec.keyId(), rec.ownerId(), l, rec.hint(), now, actor.id()));
            tx.appendAudit(
                new AuditEntry(
                    now,
                    actor.id(),
                    "canary.created",
                    rec.keyId(),
                    rec.ownerId(),
                    actor.sourceIp(),
                    Map.of("label", l)));
            return null;
          });
    } catch (RuntimeException e) {
      try {
        keys.revoke(rec.keyId(), "canary creation failed", actor);
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return created;
  }

  /** A page of canaries, newest first; a restricted actor sees only its owner's. */
  public Page<Canary> list(String ownerId, int limit, String cursor, Actor actor) {
    String owner = ownerId;
    if (actor.ownerRestriction() != null) {
      if (ownerId != null && !actor.canSee(ownerId)) {
        return new Page<>(List.of(), null);
      }
      owner = actor.ownerRestriction();
    }
    return store.canaries(owner, limit, cursor);
  }

  /** Whether {@code rec} is a canary: revoked as one and listed as one. */
  public boolean isCanary(ApiKeyRecord rec) {
    return rec.status() == KeyStatus.REVOKED
        && CanaryAlarm.REVOKE_REASON.equals(rec.revokeReason())
        && store.findCanary(rec.keyId()).isPresent();
  }

  /** The {@link EventTypes#CANARY_TRIGGERED} event for {@code key}; never carries key material. */
  OutboxEvent triggeredEvent(
      ApiKeyRecord key, String ip, String userAgent, Instant at, Map<String, Object> extra) {
    return alarms.triggeredEvent(key, ip, userAgent, at, extra);
  }
}
