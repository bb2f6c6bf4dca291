package io.keygate.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.Page;
import io.keygate.core.monitor.Alert;
import io.keygate.core.monitor.AlertQuery;
import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.GrantUse;
import io.keygate.core.monitor.NetworkSeen;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * {@link AnomalyStore} over V4's {@code alerts}, {@code key_networks} and {@code key_grant_use}
 * tables, sharing {@link JdbcKeyStore}'s pool. Alerts about no key (brute force) are stored with an
 * empty {@code key_id} and read back as {@code null}. Upserts are sorted so that concurrent batches
 * lock rows in the same order. Thread-safe.
 */
final class JdbcAnomalyStore implements AnomalyStore {
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  private static final String ALERT_COLUMNS =
      "alert_id, key_id, owner_id, type, window_start, status, details, created_at,"
          + " acknowledged_at, acknowledged_by";
  private static final Cursors.Order NEWEST_FIRST = new Cursors.Order("created_at", "alert_id");

  private static final RowMapper<Alert> ALERT =
      (rs, ctx) -> {
        String id = rs.getString("alert_id");
        String key = rs.getString("key_id");
        long ack = rs.getLong("acknowledged_at");
        boolean acked = !rs.wasNull();
        Map<String, Object> details;
        try {
          details = Rows.JSON.readValue(rs.getString("details"), MAP);
        } catch (JsonProcessingException e) {
          throw new SQLException("alert " + id + " has corrupt details", e);
        }
        return new Alert(
            id,
            key == null || key.isEmpty() ? null : key,
            rs.getString("owner_id"),
            rs.getString("type"),
            Instant.ofEpochMilli(rs.getLong("window_start")),
            rs.getString("status"),
            details,
            Instant.ofEpochMilli(rs.getLong("created_at")),
            acked ? Instant.ofEpochMilli(ack) : null,
            rs.getString("acknowledged_by"));
      };

  private final JdbcKeyStore store;

  JdbcAnomalyStore(JdbcKeyStore store) {
    this.store = store;
  }

  @Override
  public boolean raise(Alert a, OutboxEvent event) {
    Objects.requireNonNull(a, "alert");
    String details = json(a.details());
    return store.update(
        "raiseAlert",
        h -> {
          int n =
              h.createUpdate(
                      "INSERT INTO alerts ("
                          + ALERT_COLUMNS
                          + ") VALUES (:alert_id, :key_id, :owner_id, :type, :window_start,"
                          + " :status, :details, :created_at, :acknowledged_at, :acknowledged_by)"
                          + " ON CONFLICT DO NOTHING")
                  .bind("alert_id", a.alertId())
                  .bind("key_id", a.keyId() == null ? "" : a.keyId())
                  .bind("owner_id", a.ownerId())
                  .bind("type", a.type())
                  .bind("window_start", a.windowStart().toEpochMilli())
                  .bind("status", a.status())
                  .bind("details", details)
                  .bind("created_at", a.createdAt().toEpochMilli())
                  .bind("acknowledged_at", Rows.millis(a.acknowledgedAt()))
                  .bind("acknowledged_by", a.acknowledgedBy())
                  .execute();
          if (n == 1 && event != null) {
            Rows.insertEvent(h, event);
          }
          return n == 1;
        });
  }

  @Override
  public Page<Alert> alerts(AlertQuery q) {
    Select select =
        new Select("SELECT " + ALERT_COLUMNS + " FROM alerts WHERE 1 = 1")
            .eq("status", q.status())
            .eq("key_id", q.keyId())
            .eq("owner_id", q.ownerId());
    return store.query(
        "alerts",
        h ->
            Cursors.page(
                h,
                select,
                NEWEST_FIRST,
                q.cursor(),
                q.limit(),
                ALERT,
                a -> new Cursors.Position(a.createdAt().toEpochMilli(), a.alertId())));
  }

  @Override
  public Optional<Alert> alert(String alertId) {
    return store.query(
        "alert",
        h ->
            h.createQuery("SELECT " + ALERT_COLUMNS + " FROM alerts WHERE alert_id = :id")
                .bind("id", alertId)
                .map(ALERT)
                .findOne());
  }

  @Override
  public boolean acknowledge(String alertId, AuditEntry audit) {
    Objects.requireNonNull(audit, "audit");
    return store.transact(
        tx -> {
          boolean changed =
              tx.handle(
                  "acknowledgeAlert",
                  h ->
                      h.createUpdate(
                                  "UPDATE alerts SET status = 'acknowledged', acknowledged_at = :at,"
                                      + " acknowledged_by = :by"
                                      + " WHERE alert_id = :id AND status = 'open'")
                              .bind("at", audit.at().toEpochMilli())
                              .bind("by", audit.actor())
                              .bind("id", alertId)
                              .execute()
                          == 1);
          if (changed) {
            tx.appendAudit(audit);
          }
          return changed;
        });
  }

  @Override
  public Map<String, Instant> networks(String keyId) {
    return store.query(
        "networks",
        h ->
            h.createQuery("SELECT network, first_seen FROM key_networks WHERE key_id = :key")
                .bind("key", keyId)
                .map((rs, ctx) -> Map.entry(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2))))
                .collect(
                    Collectors.toMap(
                        Map.Entry::getKey, Map.Entry::getValue, (x, y) -> x, LinkedHashMap::new)));
  }

  @Override
  public void addNetworks(Collection<NetworkSeen> seen) {
    store.batch(
        "addNetworks",
        "INSERT INTO key_networks (key_id, network, first_seen, last_seen)"
            + " VALUES (:key, :network, :first, :last)"
            + " ON CONFLICT (key_id, network) DO UPDATE SET"
            + " first_seen = CASE WHEN excluded.first_seen < key_networks.first_seen"
            + " THEN excluded.first_seen ELSE key_networks.first_seen END,"
            + " last_seen = CASE WHEN excluded.last_seen > key_networks.last_seen"
            + " THEN excluded.last_seen ELSE key_networks.last_seen END",
        seen,
        Comparator.comparing(NetworkSeen::keyId).thenComparing(NetworkSeen::network),
        (b, n) ->
            b.bind("key", n.keyId())
                .bind("network", n.network())
                .bind("first", n.firstSeen().toEpochMilli())
                .bind("last", n.lastSeen().toEpochMilli()));
  }

  @Override
  public List<GrantUse> grantUse(String keyId) {
    return store.query(
        "grantUse",
        h ->
            h.createQuery(
                    "SELECT kind, grant_value, last_used_at FROM key_grant_use WHERE key_id = :key"
                        + " ORDER BY kind, grant_value")
                .bind("key", keyId)
                .map(
                    (rs, ctx) ->
                        new GrantUse(
                            keyId,
                            rs.getString(1),
                            rs.getString(2),
                            Instant.ofEpochMilli(rs.getLong(3))))
                .list());
  }

  @Override
  public void addGrantUse(Collection<GrantUse> uses) {
    store.batch(
        "addGrantUse",
        "INSERT INTO key_grant_use (key_id, kind, grant_value, last_used_at)"
            + " VALUES (:key, :kind, :value, :at)"
            + " ON CONFLICT (key_id, kind, grant_value) DO UPDATE"
            + " SET last_used_at = CASE WHEN excluded.last_used_at >"
            + " key_grant_use.last_used_at THEN excluded.last_used_at"
            + " ELSE key_grant_use.last_used_at END",
        uses,
        Comparator.comparing(GrantUse::keyId)
            .thenComparing(GrantUse::kind)
            .thenComparing(GrantUse::value),
        (b, u) ->
            b.bind("key", u.keyId())
                .bind("kind", u.kind())
                .bind("value", u.value())
                .bind("at", u.lastUsedAt().toEpochMilli()));
  }

  @Override
  public List<OutboxEvent> bruteForceBlocks(Instant after, int limit) {
    List<OutboxEvent> anomalies =
        store.query(
            "bruteForceBlocks",
            h ->
                h.createQuery(
                        "SELECT "
                            + Rows.EVENT_COLUMNS
                            + " FROM outbox_events WHERE type = 'anomaly.detected'"
                            + " AND key_id IS NULL AND created_at >= :after"
                            + " ORDER BY created_at, event_id LIMIT :limit")
                    .bind("after", after.toEpochMilli())
                    .bind("limit", limit)
                    .map(Rows.EVENT)
                    .list());
    return anomalies.stream().filter(e -> "brute_force".equals(e.data().get("kind"))).toList();
  }

  private static String json(Map<String, Object> m) {
    try {
      return Rows.JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("alert details are not JSON-serialisable", e);
    }
  }
}
