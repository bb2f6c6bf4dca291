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
import io.keygate.core.verify.VerifyRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

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
public final class Canaries implements CanaryAlarm {
  /** The revocation reason that marks a canary key. */

  /** Shortest interval between two alarms of one canary. */
  public static final Duration ALARM_INTERVAL = Duration.ofSeconds(60);

  private static final int MAX_LABEL = 200;

  private record Throttle(Instant last, AtomicLong suppressed) {}

  private final KeyStore store;
  private final KeyService keys;
  private final Clock clock;
  private final Map<String, Throttle> throttles = new ConcurrentHashMap<>();

  /** Wires the service; see {@link io.keygate.core.Keygate#canaries()}. */
  public Canaries(KeyStore store, KeyService keys, Clock clock) {
    this.store = store;
    this.keys = keys;
    this.clock = clock;
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

  @Override
  public void tripped(ApiKeyRecord key, VerifyRequest req) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    long[] suppressedBefore = {-1};
    throttles.compute(
        key.keyId(),
        (id, cur) -> {
          if (cur != null && Duration.between(cur.last(), now).compareTo(ALARM_INTERVAL) < 0) {
            cur.suppressed().incrementAndGet();
            return cur;
          }
          suppressedBefore[0] = cur == null ? 0 : cur.suppressed().get();
          return new Throttle(now, new AtomicLong());
        });
    if (suppressedBefore[0] < 0) {
      return;
    }
    long suppressed = suppressedBefore[0];
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("suppressed_since_last_alert", suppressed);
    extra.put("required_scopes", req.requiredScopes());
    extra.put("method", req.method());
    extra.put("path", req.path());
    store.inTransaction(
        tx -> {
          Map<String, String> details = new LinkedHashMap<>();
          details.put("ip", String.valueOf(req.ip()));
          details.put("user_agent", String.valueOf(req.userAgent()));
          tx.appendAudit(
              new AuditEntry(
                  now,
                  "system",
                  "canary.triggered",
                  key.keyId(),
                  key.ownerId(),
                  req.ip(),
                  details));
          tx.enqueueEvent(triggeredEvent(key, req.ip(), req.userAgent(), now, extra));
          return null;
        });
  }

  /** The {@link EventTypes#CANARY_TRIGGERED} event for {@code key}; never carries key material. */
  OutboxEvent triggeredEvent(
      ApiKeyRecord key, String ip, String userAgent, Instant at, Map<String, Object> extra) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("label", key.settings().name());
    d.put("ip", ip);
    d.put("user_agent", userAgent == null ? null : clip(userAgent));
    d.put("at", at.toString());
    d.putAll(extra);
    return keys.event(EventTypes.CANARY_TRIGGERED, key, at, d);
  }

  private static String clip(String s) {
    String t = s.replaceAll("\\p{Cntrl}", "?");
    return t.length() > 512 ? t.substring(0, 512) : t;
  }
}
