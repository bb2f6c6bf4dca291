package io.keygate.store.jdbc;

import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.ApiKeyRecord;
import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Update;

/**
 * The expiry-notice part of {@link JdbcNotifyStore}: which keys are due a notice ({@code
 * expiry_notices} remembers the ones sent), and recording a notice with its outbox event in one
 * transaction. Thread-safe.
 */
final class JdbcExpiryNotices {
  private final JdbcKeyStore store;

  JdbcExpiryNotices(JdbcKeyStore store) {
    this.store = store;
  }

  List<ApiKeyRecord> expiringWithoutNotice(int days, Instant now, int limit) {
    long t = now.toEpochMilli();
    return store.query(
        "expiringWithoutNotice",
        h ->
            h.createQuery(
                    "SELECT "
                        + Rows.KEY_COLUMNS
                        + " FROM api_keys WHERE status = 'active' AND expires_at IS NOT NULL"
                        + " AND expires_at > :now AND expires_at <= :until"
                        + " AND (revokes_at IS NULL OR revokes_at > :now)"
                        + " AND NOT EXISTS (SELECT 1 FROM expiry_notices n"
                        + " WHERE n.key_id = api_keys.key_id AND n.days = :days)"
                        + " ORDER BY expires_at, key_id LIMIT :limit")
                .bind("now", t)
                .bind("until", t + days * 86_400_000L)
                .bind("days", days)
                .bind("limit", limit)
                .map(Rows.KEY)
                .list());
  }

  List<ApiKeyRecord> expiredWithoutNotice(Instant now, int limit) {
    return store.query(
        "expiredWithoutNotice",
        h ->
            h.createQuery(
                    "SELECT "
                        + Rows.KEY_COLUMNS
                        + " FROM api_keys WHERE status = 'active' AND expires_at IS NOT NULL"
                        + " AND expires_at <= :now AND (revokes_at IS NULL OR revokes_at > :now)"
                        + " AND NOT EXISTS (SELECT 1 FROM expiry_notices n"
                        + " WHERE n.key_id = api_keys.key_id AND n.days = 0)"
                        + " ORDER BY expires_at, key_id LIMIT :limit")
                .bind("now", now.toEpochMilli())
                .bind("limit", limit)
                .map(Rows.KEY)
                .list());
  }

  boolean record(String keyId, int days, List<Integer> suppressed, OutboxEvent event, Instant at) {
    return store.update(
        "recordExpiryNotice",
        h -> {
          if (notice(h, keyId, days, at, event.eventId()).execute() == 0) {
            return false;
          }
          for (int d : suppressed) {
            notice(h, keyId, d, at, null).execute();
          }
          Rows.insertEvent(h, event);
          return true;
        });
  }

  private static Update notice(Handle h, String keyId, int days, Instant at, String eventId) {
    return h.createUpdate(
            "INSERT INTO expiry_notices (key_id, days, sent_at, event_id)"
                + " VALUES (:key, :days, :at, :event) ON CONFLICT (key_id, days) DO NOTHING")
        .bind("key", keyId)
        .bind("days", days)
        .bind("at", at.toEpochMilli())
        .bind("event", eventId);
  }
}
