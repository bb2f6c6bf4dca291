package io.keygate.core.lifecycle;

import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.SecurityEvents;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes queued {@link SecurityEvents} notices: each becomes an audit event (actor {@code system})
 * and an outbox event, all in one transaction.
 *
 * <ul>
 *   <li>{@code ip.blocked} audit event + {@code anomaly.detected} outbox event ({@code kind:
 *       brute_force}, operator-level: no owner), once per block;
 *   <li>{@code key.exposed_in_url} audit event + outbox event for the key's owner;
 *   <li>{@code ratelimit.exceeded} outbox event for the key's owner (throttled per key; no audit
 *       event: nothing changed).
 * </ul>
 *
 * <p>Thread-safe (stateless).
 */
public final class SecurityNoticeWriter {
  private final KeyStore store;
  private final KeyService keys;
  private final Supplier<SecureRandom> random;

  /** A writer over {@code store}, building key events with {@code keys}. */
  public SecurityNoticeWriter(KeyStore store, KeyService keys, Supplier<SecureRandom> random) {
    this.store = store;
    this.keys = keys;
    this.random = random;
  }

  /** Writes {@code notices} in one transaction; a fault propagates and nothing is written. */
  public void write(List<SecurityEvents.Notice> notices) {
    if (notices.isEmpty()) {
      return;
    }
    store.inTransaction(
        tx -> {
          for (SecurityEvents.Notice n : notices) {
            if (n instanceof SecurityEvents.IpBlocked b) {
              Map<String, String> details = new LinkedHashMap<>();
              details.put("ip", b.ip());
              details.put("attempts", Integer.toString(b.attempts()));
              details.put("block_seconds", Long.toString(b.duration().toSeconds()));
              details.put("credential", b.kind().wire());
              tx.appendAudit(
                  new AuditEntry(b.at(), "system", "ip.blocked", null, null, b.ip(), details));
              Map<String, Object> data = new LinkedHashMap<>();
              data.put("kind", "brute_force");
              data.put("ip", b.ip());
              data.put("attempts", b.attempts());
              data.put("block_seconds", b.duration().toSeconds());
              data.put("credential", b.kind().wire());
              tx.enqueueEvent(
                  new OutboxEvent(
                      "evt_" + KeyFormat.randomBase62(random.get(), 24),
                      EventTypes.ANOMALY_DETECTED,
                      null,
                      null,
                      b.at(),
                      data));
            } else if (n instanceof SecurityEvents.ExposedInUrl e) {
              Map<String, String> details = new LinkedHashMap<>();
              details.put("where", "url_query_string");
              details.put("action_taken", "none; the owner decides whether to rotate or revoke");
              tx.appendAudit(
                  new AuditEntry(
                      e.at(),
                      "system",
                      "key.exposed_in_url",
                      e.key().keyId(),
                      e.key().ownerId(),
                      e.sourceIp(),
                      details));
              Map<String, Object> data = new LinkedHashMap<>();
              data.put("where", "url_query_string");
              if (e.sourceIp() != null) {
                data.put("source_ip", e.sourceIp());
              }
              data.put(
                  "advice",
                  "the key travelled in a URL (logs, proxies, browser history); rotate it");
              tx.enqueueEvent(keys.event(EventTypes.KEY_EXPOSED_IN_URL, e.key(), e.at(), data));
            } else if (n instanceof SecurityEvents.RateLimitExceeded r) {
              Map<String, Object> data = new LinkedHashMap<>();
              data.put("code", r.code());
              data.put("message", r.message());
              data.put(
                  "throttle",
                  "at most one notice per key every "
                      + SecurityEvents.EXPOSURE_DEDUPE.toMinutes()
                      + " minutes");
              tx.enqueueEvent(keys.event(EventTypes.RATELIMIT_EXCEEDED, r.key(), r.at(), data));
            }
          }
          return null;
        });
  }
}
