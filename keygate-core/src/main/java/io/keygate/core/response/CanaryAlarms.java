package io.keygate.core.response;

import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.CanaryAlarm;
import io.keygate.core.verify.VerifyRequest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Records a presented canary (see {@link Canaries}): a {@link EventTypes#CANARY_TRIGGERED} outbox
 * event and a {@code canary.triggered} audit event with the caller's IP, user agent and the time,
 * in one transaction. The verifier calls it ({@link CanaryAlarm}); it needs only the store, so it
 * is made before the verifier.
 *
 * <p>Alarms are deduplicated per canary: at most one per {@link #ALARM_INTERVAL}; the next alarm
 * carries how many presentations were suppressed, so a flood of attempts cannot turn into a flood
 * of writes. Thread-safe.
 */
public final class CanaryAlarms implements CanaryAlarm {
  /** Shortest interval between two alarms of one canary. */
  public static final Duration ALARM_INTERVAL = Duration.ofSeconds(60);

  private record Throttle(Instant last, AtomicLong suppressed) {}

  private final KeyStore store;
  private final Clock clock;
  private final Supplier<SecureRandom> random;
  private final Map<String, Throttle> throttles = new ConcurrentHashMap<>();

  /** Records alarms in {@code store}; {@code random} makes event ids. */
  public CanaryAlarms(KeyStore store, Clock clock, Supplier<SecureRandom> random) {
    this.store = store;
    this.clock = clock;
    this.random = random;
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
    return OutboxEvent.forKey(EventTypes.CANARY_TRIGGERED, key, at, d, random.get());
  }

  private static String clip(String s) {
    String t = s.replaceAll("\\p{Cntrl}", "?");
    return t.length() > 512 ? t.substring(0, 512) : t;
  }
}
