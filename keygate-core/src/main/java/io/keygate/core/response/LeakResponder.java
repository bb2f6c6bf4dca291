package io.keygate.core.response;

import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.EventTypes;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyType;
import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakAction;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.leaks.LeakLocation;
import io.keygate.core.leaks.LeakPolicy;
import io.keygate.core.leaks.LeakReport;
import io.keygate.core.leaks.LeakResult;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.KeyService;
import io.keygate.core.lifecycle.RotatedKey;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.Verifier;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Automatic response to leaked keys: confirm offline, look up, act by policy, record an incident
 * and notify the owner — all of it in one store transaction per key.
 *
 * <p><b>Contract.</b> For each {@link LeakReport}: a value that is neither a checksum-confirmed key
 * ({@link KeyFormat#identify}) nor a key with the prefix of keys imported from another system
 * ({@link Verifier#wellFormed}) is {@link LeakResult.Status#NOT_A_KEY} (no I/O); imported keys are
 * confirmed by their hash, like every other key; a well-formed key that is not stored (under the
 * current or an older pepper — the lookup is the {@link Verifier}'s) is {@link
 * LeakResult.Status#UNKNOWN}. For a stored key, one transaction locks it, decides the {@link
 * LeakAction} (live key exposed: revoke at once, or rotate with the {@link LeakPolicy}'s short
 * grace; live key caught before exposure ({@link Exposure#PREVENTED}): record only and tell the
 * owner; test key: record only unless the policy revokes test keys; already revoked or already
 * rotated: record only; canary: raise its alarm), writes the key change, an audit event by the
 * reporter ({@code key.revoked} with reason {@code leaked: <source>}, or {@code leak.recorded}),
 * the incident and the outbox event ({@link EventTypes#KEY_LEAKED}, or {@link
 * EventTypes#CANARY_TRIGGERED}). The verifier's cache entry is invalidated after the commit and
 * before the method returns, so the revoked key fails its very next verification. A repeat report
 * of the same (key, source, location) is {@link LeakResult.Status#REPEAT} and writes nothing, so
 * reports can be replayed safely.
 *
 * <p>A leaked admin token is always revoked, never rotated (its successor's secret would reach
 * nobody), as is an expired key under a rotate policy (an expired key is never rotated back to
 * life). A reporter limited to one owner acts only on API keys of that owner: any other key, and
 * every admin token, is {@link LeakResult.Status#UNKNOWN} to it and nothing is written — so such a
 * reporter can neither revoke other owners' keys nor learn that they exist. A canary of its own
 * owner is recorded and raises its alarm, but is reported to it as {@code UNKNOWN} too: the answer
 * never tells a restricted reporter that a key is a canary.
 *
 * <p><b>Security guarantees.</b> Raw keys are only hashed; incidents, audit events and outbox
 * events name keys by id and hint. Thread-safe.
 */
public final class LeakResponder {
  /** Audit action for an incident that changed no key. */
  public static final String AUDIT_RECORDED = "leak.recorded";

  private static final int MAX_SOURCE = 64;
  private static final int MAX_TEXT = 2048;

  private final KeyStore store;
  private final KeyFormat format;
  private final Verifier verifier;
  private final KeyService keys;
  private final Canaries canaries;
  private final LeakPolicy policy;
  private final Clock clock;
  private final Supplier<SecureRandom> random;

  /** Wires the responder; see {@link io.keygate.core.Keygate#leaks()} for the usual instance. */
  public LeakResponder(
      KeyStore store,
      KeyFormat format,
      Verifier verifier,
      KeyService keys,
      Canaries canaries,
      LeakPolicy policy,
      Clock clock,
      Supplier<SecureRandom> random) {
    this.store = store;
    this.format = format;
    this.verifier = verifier;
    this.keys = keys;
    this.canaries = canaries;
    this.policy = policy;
    this.clock = clock;
    this.random = random;
  }

  /** The policy in force. */
  public LeakPolicy policy() {
    return policy;
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /** Responds to every report in order, with one reporting time for all; one result per report. */
  public List<LeakResult> respondAll(List<LeakReport> reports, Actor reporter) {
    Instant reportedAt = now();
    List<LeakResult> out = new ArrayList<>(reports.size());
    for (LeakReport r : reports) {
      out.add(respond(r, reporter, reportedAt));
    }
    return out;
  }

  /** Responds to one report received at {@code reportedAt}. */
  public LeakResult respond(LeakReport report, Actor reporter, Instant reportedAt) {
    String raw = report.secret().reveal();
    if (!verifier.wellFormed(raw)) {
      return new LeakResult(LeakResult.Status.NOT_A_KEY, null, null);
    }
    Optional<ApiKeyRecord> found = verifier.findReported(raw);
    boolean restricted = reporter.ownerRestriction() != null;
    if (found.isEmpty()
        || (restricted && (found.get().adminToken() || !reporter.canSee(found.get().ownerId())))) {
      return new LeakResult(LeakResult.Status.UNKNOWN, null, null);
    }
    String source = clip(report.source().strip(), MAX_SOURCE);
    LeakLocation where = clean(report.location());
    Instant exposedAt =
        report.exposedAt() == null || report.exposedAt().isAfter(reportedAt)
            ? reportedAt
            : report.exposedAt().truncatedTo(ChronoUnit.MILLIS);
    Exposure exposure = report.exposure();
    String dedupe = dedupeKey(found.get().keyId(), source, where, exposure);
    boolean canary = canaries.isCanary(found.get());
    boolean live = format.types().byName(found.get().type()).map(KeyType::live).orElse(true);
    LeakResult result =
        store.inTransaction(
            tx -> {
              ApiKeyRecord cur = tx.lockKey(found.get().keyId()).orElse(null);
              if (cur == null) {
                return new LeakResult(LeakResult.Status.UNKNOWN, null, null);
              }
              Instant now = now();
              Duration grace = policy.graceFor(cur.type());
              boolean rotate =
                  grace != null
                      && !cur.adminToken()
                      && (cur.expiresAt() == null || now.isBefore(cur.expiresAt()));
              LeakAction action;
              Instant revokedAt = null;
              ApiKeyRecord changed = null;
              RotatedKey rotated = null;
              if (canary) {
                action = LeakAction.CANARY_RECORDED;
              } else if (!live && !policy.revokeTestKeys()) {
                action = LeakAction.TEST_KEY_RECORDED;
              } else if (cur.effectiveStatus(now) == KeyStatus.REVOKED) {
                action = LeakAction.ALREADY_REVOKED;
                revokedAt = cur.revokedAt() != null ? cur.revokedAt() : cur.revokesAt();
              } else if (rotate && cur.revokesAt() != null) {
                action = LeakAction.ALREADY_ROTATED;
                revokedAt = cur.revokesAt();
              } else if (exposure == Exposure.PREVENTED) {
                action = LeakAction.PREVENTED_RECORDED;
              } else if (rotate) {
                action = LeakAction.ROTATED;
                rotated = keys.rotateLocked(tx, cur, grace, reporter, now);
                changed = rotated.oldKey();
                revokedAt = rotated.oldKeyRevokesAt();
              } else {
                action = LeakAction.REVOKED;
                changed = cur.revoked(now, "leaked: " + source, now);
                revokedAt = now;
              }
              String id = "inc_" + KeyFormat.randomBase62(random.get(), 24);
              LeakIncident incident =
                  new LeakIncident(
                      id,
                      dedupe,
                      cur.keyId(),
                      cur.ownerId(),
                      cur.type(),
                      cur.hint(),
                      source,
                      where,
                      exposedAt,
                      reportedAt,
                      revokedAt,
                      action,
                      reporter.id(),
                      exposure,
                      live);
              if (!tx.insertIncident(incident)) {
                if (changed == null) {
                  return new LeakResult(LeakResult.Status.REPEAT, cur, null);
                }
                // A key change is never a repeat; keep both incidents apart.
                incident = withDedupe(incident, KeyHasher.sha256Hex(dedupe + id));
                tx.insertIncident(incident);
              }
              Map<String, String> details = new LinkedHashMap<>();
              details.put("incident_id", id);
              details.put("source", source);
              details.put("action", action.wire());
              if (action == LeakAction.REVOKED) {
                tx.updateKey(changed);
                details.put("reason", changed.revokeReason());
                tx.appendAudit(
                    audit(reporter, KeyService.auditAction(cur, "revoked"), cur, now, details));
              } else {
                tx.appendAudit(audit(reporter, AUDIT_RECORDED, cur, now, details));
              }
              if (canary) {
                tx.enqueueEvent(
                    canaries.triggeredEvent(cur, null, null, now, Map.of("source", source)));
              } else {
                tx.enqueueEvent(
                    keys.event(
                        EventTypes.KEY_LEAKED, cur, now, eventData(incident, rotated, changed)));
              }
              return new LeakResult(
                  LeakResult.Status.RECORDED, changed == null ? cur : changed, incident);
            });
    if (result.incident() != null
        && (result.incident().action() == LeakAction.REVOKED
            || result.incident().action() == LeakAction.ROTATED)) {
      verifier.invalidate(found.get().hash());
      verifier.invalidate(result.key().hash());
    }
    if (restricted && canary) {
      return new LeakResult(LeakResult.Status.UNKNOWN, null, null);
    }
    return result;
  }

  /** A page of incidents; a restricted actor sees only its owner's. */
  public Page<LeakIncident> incidents(IncidentQuery query, Actor actor) {
    IncidentQuery q = query;
    if (actor.ownerRestriction() != null) {
      if (query.ownerId() != null && !actor.canSee(query.ownerId())) {
        return new Page<>(List.of(), null);
      }
      q = query.forOwner(actor.ownerRestriction());
    }
    return store.incidents(q);
  }

  private static Map<String, Object> eventData(
      LeakIncident i, RotatedKey rotated, ApiKeyRecord changed) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("incident_id", i.incidentId());
    d.put("source", i.source());
    d.put("action", i.action().wire());
    LeakLocation l = i.location();
    d.put("url", l.url());
    d.put("file", l.file());
    d.put("line", l.line());
    d.put("commit", l.commit());
    d.put("exposure", i.exposure().wire());
    d.put("exposed_at", i.exposedAt().toString());
    d.put("found_at", i.exposedAt().toString());
    d.put("reported_at", i.reportedAt().toString());
    d.put("revoked_at", i.revokedAt() == null ? null : i.revokedAt().toString());
    Duration ttr = i.timeToRevocation();
    d.put("time_to_revocation_ms", ttr == null ? null : ttr.toMillis());
    Duration rtr = i.reportToRevocation();
    d.put("report_to_revocation_ms", rtr == null ? null : rtr.toMillis());
    if (rotated != null) {
      d.put("new_key_id", rotated.newKey().record().keyId());
      d.put("new_key_hint", rotated.newKey().record().hint());
    }
    if (changed != null && changed.revokeReason() != null) {
      d.put("reason", changed.revokeReason());
    }
    return d;
  }

  private static AuditEntry audit(
      Actor actor, String action, ApiKeyRecord rec, Instant now, Map<String, String> details) {
    return new AuditEntry(
        now, actor.id(), action, rec.keyId(), rec.ownerId(), actor.sourceIp(), details);
  }

  private static LeakIncident withDedupe(LeakIncident i, String dedupe) {
    return new LeakIncident(
        i.incidentId(),
        dedupe,
        i.keyId(),
        i.ownerId(),
        i.keyType(),
        i.keyHint(),
        i.source(),
        i.location(),
        i.exposedAt(),
        i.reportedAt(),
        i.revokedAt(),
        i.action(),
        i.reporter(),
        i.exposure(),
        i.liveKey());
  }

  /**
   * SHA-256 hex of (key id, source, location, and the exposure when {@link Exposure#PREVENTED}):
   * equal exactly for repeat reports; a prevented catch never hides a later exposure at the same
   * place.
   */
  static String dedupeKey(String keyId, String source, LeakLocation l, Exposure exposure) {
    String base =
        String.join(
            "\n",
            keyId,
            source.toLowerCase(Locale.ROOT),
            String.valueOf(l.url()),
            String.valueOf(l.file()),
            String.valueOf(l.line()),
            String.valueOf(l.commit()));
    return KeyHasher.sha256Hex(
        exposure == Exposure.PREVENTED ? base + "\n" + exposure.wire() : base);
  }

  private static LeakLocation clean(LeakLocation l) {
    return new LeakLocation(
        blankToNull(clip(l.url(), MAX_TEXT)),
        blankToNull(clip(l.file(), MAX_TEXT)),
        l.line() == null || l.line() < 1 ? null : l.line(),
        blankToNull(clip(l.commit(), 64)));
  }

  private static String clip(String s, int max) {
    if (s == null) {
      return null;
    }
    String t = s.strip().replaceAll("\\p{Cntrl}", "?");
    return t.length() > max ? t.substring(0, max) : t;
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
