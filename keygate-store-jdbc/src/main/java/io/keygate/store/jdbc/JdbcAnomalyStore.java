package io.keygate.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.Page;
import io.keygate.core.monitor.Alert;
import io.keygate.core.monitor.AlertQuery;
import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.GrantUse;
import io.keygate.core.monitor.NetworkSeen;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link AnomalyStore} over V4's {@code alerts}, {@code key_networks} and {@code key_grant_use}
 * tables, sharing {@link JdbcKeyStore}'s pool. Alerts about no key (brute force) are stored with an
 * empty {@code key_id} and read back as {@code null}. Upserts are sorted so that concurrent batches
 * lock rows in the same order. Thread-safe.
 */
final class JdbcAnomalyStore implements AnomalyStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  private static final String ALERT_COLUMNS =
      "alert_id, key_id, owner_id, type, window_start, status, details, created_at,"
          + " acknowledged_at, acknowledged_by";

  private final JdbcKeyStore store;

  JdbcAnomalyStore(JdbcKeyStore store) {
    this.store = store;
  }

  @Override
  public boolean raise(Alert a, OutboxEvent event) {
    Objects.requireNonNull(a, "alert");
    return store.write(
        "raiseAlert",
        c -> {
          int n;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO alerts ("
                      + ALERT_COLUMNS
                      + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      + " ON CONFLICT DO NOTHING")) {
            ps.setString(1, a.alertId());
            ps.setString(2, a.keyId() == null ? "" : a.keyId());
            ps.setString(3, a.ownerId());
            ps.setString(4, a.type());
            ps.setLong(5, a.windowStart().toEpochMilli());
            ps.setString(6, a.status());
            ps.setString(7, json(a.details()));
            ps.setLong(8, a.createdAt().toEpochMilli());
            Rows.setMillis(ps, 9, a.acknowledgedAt());
            ps.setString(10, a.acknowledgedBy());
            n = ps.executeUpdate();
          }
          if (n == 1 && event != null) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO outbox_events ("
                        + Rows.EVENT_COLUMNS
                        + ") VALUES (?, ?, ?, ?, ?, ?)")) {
              Rows.bindEvent(ps, event);
              ps.executeUpdate();
            }
          }
          return n == 1;
        });
  }

  @Override
  public Page<Alert> alerts(AlertQuery q) {
    StringBuilder sql = new StringBuilder("SELECT " + ALERT_COLUMNS + " FROM alerts WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (q.status() != null) {
      sql.append(" AND status = ?");
      params.add(q.status());
    }
    if (q.keyId() != null) {
      sql.append(" AND key_id = ?");
      params.add(q.keyId());
    }
    if (q.ownerId() != null) {
      sql.append(" AND owner_id = ?");
      params.add(q.ownerId());
    }
    if (q.cursor() != null) {
      int dot = q.cursor().indexOf('.');
      if (dot < 1) {
        throw new IllegalArgumentException("bad cursor");
      }
      long at = Long.parseLong(q.cursor().substring(0, dot));
      String id = q.cursor().substring(dot + 1);
      sql.append(" AND (created_at < ? OR (created_at = ? AND alert_id < ?))");
      params.add(at);
      params.add(at);
      params.add(id);
    }
    sql.append(" ORDER BY created_at DESC, alert_id DESC LIMIT ?");
    params.add(q.limit() + 1);
    List<Alert> rows =
        store.read(
            "alerts",
            c -> {
              try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                bind(ps, params);
                return readAlerts(ps);
              }
            });
    if (rows.size() <= q.limit()) {
      return new Page<>(rows, null);
    }
    List<Alert> page = rows.subList(0, q.limit());
    Alert last = page.get(page.size() - 1);
    return new Page<>(List.copyOf(page), last.createdAt().toEpochMilli() + "." + last.alertId());
  }

  @Override
  public Optional<Alert> alert(String alertId) {
    return store.read(
        "alert",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + ALERT_COLUMNS + " FROM alerts WHERE alert_id = ?")) {
            ps.setString(1, alertId);
            return readAlerts(ps).stream().findFirst();
          }
        });
  }

  @Override
  public boolean acknowledge(String alertId, AuditEntry audit) {
    Objects.requireNonNull(audit, "audit");
    return store.transact(
        tx -> {
          boolean changed =
              tx.run(
                  "acknowledgeAlert",
                  c -> {
                    try (PreparedStatement ps =
                        c.prepareStatement(
                            "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?,"
                                + " acknowledged_by = ? WHERE alert_id = ? AND status = 'open'")) {
                      ps.setLong(1, audit.at().toEpochMilli());
                      ps.setString(2, audit.actor());
                      ps.setString(3, alertId);
                      return ps.executeUpdate() == 1;
                    }
                  });
          if (changed) {
            tx.appendAudit(audit);
          }
          return changed;
        });
  }

  @Override
  public Map<String, Instant> networks(String keyId) {
    return store.read(
        "networks",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT network, first_seen FROM key_networks WHERE key_id = ?")) {
            ps.setString(1, keyId);
            Map<String, Instant> out = new LinkedHashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.put(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)));
              }
            }
            return out;
          }
        });
  }

  @Override
  public void addNetworks(Collection<NetworkSeen> seen) {
    if (seen.isEmpty()) {
      return;
    }
    List<NetworkSeen> sorted = new ArrayList<>(seen);
    sorted.sort(Comparator.comparing(NetworkSeen::keyId).thenComparing(NetworkSeen::network));
    store.write(
        "addNetworks",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO key_networks (key_id, network, first_seen, last_seen)"
                      + " VALUES (?, ?, ?, ?) ON CONFLICT (key_id, network) DO UPDATE SET"
                      + " first_seen = CASE WHEN excluded.first_seen < key_networks.first_seen"
                      + " THEN excluded.first_seen ELSE key_networks.first_seen END,"
                      + " last_seen = CASE WHEN excluded.last_seen > key_networks.last_seen"
                      + " THEN excluded.last_seen ELSE key_networks.last_seen END")) {
            for (NetworkSeen n : sorted) {
              ps.setString(1, n.keyId());
              ps.setString(2, n.network());
              ps.setLong(3, n.firstSeen().toEpochMilli());
              ps.setLong(4, n.lastSeen().toEpochMilli());
              ps.addBatch();
            }
            return ps.executeBatch();
          }
        });
  }

  @Override
  public List<GrantUse> grantUse(String keyId) {
    return store.read(
        "grantUse",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT kind, grant_value, last_used_at FROM key_grant_use WHERE key_id = ?"
                      + " ORDER BY kind, grant_value")) {
            ps.setString(1, keyId);
            List<GrantUse> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new GrantUse(
                        keyId,
                        rs.getString(1),
                        rs.getString(2),
                        Instant.ofEpochMilli(rs.getLong(3))));
              }
            }
            return out;
          }
        });
  }

  @Override
  public void addGrantUse(Collection<GrantUse> uses) {
    if (uses.isEmpty()) {
      return;
    }
    List<GrantUse> sorted = new ArrayList<>(uses);
    sorted.sort(
        Comparator.comparing(GrantUse::keyId)
            .thenComparing(GrantUse::kind)
            .thenComparing(GrantUse::value));
    store.write(
        "addGrantUse",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO key_grant_use (key_id, kind, grant_value, last_used_at)"
                      + " VALUES (?, ?, ?, ?) ON CONFLICT (key_id, kind, grant_value) DO UPDATE"
                      + " SET last_used_at = CASE WHEN excluded.last_used_at >"
                      + " key_grant_use.last_used_at THEN excluded.last_used_at"
                      + " ELSE key_grant_use.last_used_at END")) {
            for (GrantUse u : sorted) {
              ps.setString(1, u.keyId());
              ps.setString(2, u.kind());
              ps.setString(3, u.value());
              ps.setLong(4, u.lastUsedAt().toEpochMilli());
              ps.addBatch();
            }
            return ps.executeBatch();
          }
        });
  }

  @Override
  public List<OutboxEvent> bruteForceBlocks(Instant after, int limit) {
    return store.read(
        "bruteForceBlocks",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + Rows.EVENT_COLUMNS
                      + " FROM outbox_events WHERE type = 'anomaly.detected' AND key_id IS NULL"
                      + " AND created_at >= ? ORDER BY created_at, event_id LIMIT ?")) {
            ps.setLong(1, after.toEpochMilli());
            ps.setInt(2, limit);
            List<OutboxEvent> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                OutboxEvent e = Rows.readEvent(rs);
                if ("brute_force".equals(e.data().get("kind"))) {
                  out.add(e);
                }
              }
            }
            return out;
          }
        });
  }

  private static void bind(PreparedStatement ps, List<Object> params) throws SQLException {
    for (int i = 0; i < params.size(); i++) {
      Object p = params.get(i);
      if (p instanceof Long l) {
        ps.setLong(i + 1, l);
      } else if (p instanceof Integer n) {
        ps.setInt(i + 1, n);
      } else {
        ps.setString(i + 1, (String) p);
      }
    }
  }

  private static List<Alert> readAlerts(PreparedStatement ps) throws SQLException {
    List<Alert> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String id = rs.getString("alert_id");
        String key = rs.getString("key_id");
        long ack = rs.getLong("acknowledged_at");
        boolean acked = !rs.wasNull();
        Map<String, Object> details;
        try {
          details = JSON.readValue(rs.getString("details"), MAP);
        } catch (JsonProcessingException e) {
          throw new SQLException("alert " + id + " has corrupt details", e);
        }
        out.add(
            new Alert(
                id,
                key == null || key.isEmpty() ? null : key,
                rs.getString("owner_id"),
                rs.getString("type"),
                Instant.ofEpochMilli(rs.getLong("window_start")),
                rs.getString("status"),
                details,
                Instant.ofEpochMilli(rs.getLong("created_at")),
                acked ? Instant.ofEpochMilli(ack) : null,
                rs.getString("acknowledged_by")));
      }
    }
    return out;
  }

  private static String json(Map<String, Object> m) {
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("alert details are not JSON-serialisable", e);
    }
  }
}
