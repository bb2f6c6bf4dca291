package io.keygate.store.jdbc;

import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.monitor.KeyStats;
import io.keygate.core.monitor.LeakStats;
import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.monitor.RecordedSettings;
import io.keygate.core.monitor.UsageCount;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@link MonitorStore} over the same pool and schema as {@link JdbcKeyStore} ({@code usage_minutes}
 * of V4; leak figures from V3's {@code leak_incidents}, or from {@code key.leaked} outbox events
 * when that table is absent; the report's recorded settings in V13's {@code report_settings}).
 * Thread-safe.
 */
final class JdbcMonitorStore implements MonitorStore {
  private final JdbcKeyStore store;

  JdbcMonitorStore(JdbcKeyStore store) {
    this.store = store;
  }

  @Override
  public void addUsage(Collection<UsageCount> counts) {
    if (counts.isEmpty()) {
      return;
    }
    List<UsageCount> sorted = new ArrayList<>(counts);
    sorted.sort(
        Comparator.comparing(UsageCount::keyId)
            .thenComparing(UsageCount::at)
            .thenComparing(UsageCount::outcome));
    store.write(
        "addUsage",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO usage_minutes (key_id, minute_at, outcome, requests)"
                      + " VALUES (?, ?, ?, ?) ON CONFLICT (key_id, minute_at, outcome)"
                      + " DO UPDATE SET requests = usage_minutes.requests + excluded.requests")) {
            for (UsageCount u : sorted) {
              ps.setString(1, u.keyId());
              ps.setLong(2, u.at().toEpochMilli() / 60_000L * 60_000L);
              ps.setString(3, u.outcome());
              ps.setLong(4, u.count());
              ps.addBatch();
            }
            return ps.executeBatch();
          }
        });
  }

  @Override
  public List<UsageCount> usage(String keyId, Instant from, Instant to, Duration bucket) {
    Objects.requireNonNull(keyId, "keyId");
    long b = bucket.toMillis();
    if (b < 60_000L) {
      throw new IllegalArgumentException("bucket must be at least a minute, was " + bucket);
    }
    return store.read(
        "usage",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT minute_at, outcome, requests FROM usage_minutes"
                      + " WHERE key_id = ? AND minute_at >= ? AND minute_at < ?"
                      + " ORDER BY minute_at, outcome")) {
            ps.setString(1, keyId);
            ps.setLong(2, from.toEpochMilli());
            ps.setLong(3, to.toEpochMilli());
            TreeMap<Long, TreeMap<String, Long>> agg = new TreeMap<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                long at = rs.getLong(1) / b * b;
                agg.computeIfAbsent(at, k -> new TreeMap<>())
                    .merge(rs.getString(2), rs.getLong(3), Long::sum);
              }
            }
            List<UsageCount> out = new ArrayList<>();
            agg.forEach(
                (at, m) ->
                    m.forEach(
                        (o, n) -> out.add(new UsageCount(keyId, Instant.ofEpochMilli(at), o, n))));
            return out;
          }
        });
  }

  @Override
  public long totalUsage(Instant from, Instant to, String outcome) {
    return store.read(
        "totalUsage",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT COALESCE(SUM(requests), 0) FROM usage_minutes"
                      + " WHERE minute_at >= ? AND minute_at < ?"
                      + (outcome == null ? "" : " AND outcome = ?"))) {
            ps.setLong(1, from.toEpochMilli());
            ps.setLong(2, to.toEpochMilli());
            if (outcome != null) {
              ps.setString(3, outcome);
            }
            return single(ps);
          }
        });
  }

  private static long single(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public long countEvents(String type, Instant since) {
    return store.read(
        "countEvents",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT COUNT(*) FROM outbox_events WHERE type = ? AND created_at >= ?")) {
            ps.setString(1, type);
            ps.setLong(2, since.toEpochMilli());
            return single(ps);
          }
        });
  }

  @Override
  public KeyStats keyStats(Instant now) {
    long t = now.toEpochMilli();
    String active =
        " FROM api_keys WHERE type <> 'admin' AND status = 'active' AND (revokes_at IS NULL OR"
            + " revokes_at > ?) AND (expires_at IS NULL OR expires_at > ?)";
    return store.read(
        "keyStats",
        c -> {
          long total = count(c, "SELECT COUNT(*)" + active, t);
          long allow = count(c, "SELECT COUNT(*)" + active + " AND ip_allowlist <> '[]'", t);
          long limits = count(c, "SELECT COUNT(*)" + active + " AND rate_limits <> '[]'", t);
          long expiry = count(c, "SELECT COUNT(*)" + active + " AND expires_at IS NOT NULL", t);
          Map<Integer, Long> peppers = new HashMap<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT pepper_version, COUNT(*)" + active + " GROUP BY pepper_version")) {
            ps.setLong(1, t);
            ps.setLong(2, t);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                peppers.put(rs.getInt(1), rs.getLong(2));
              }
            }
          }
          return new KeyStats(total, allow, limits, expiry, peppers);
        });
  }

  @Override
  public Map<Integer, Long> keysByPepperVersion(Instant now, boolean liveOnly) {
    long t = now.toEpochMilli();
    String where =
        liveOnly
            ? " WHERE status <> 'revoked' AND hash NOT LIKE 'imported:%' AND (revokes_at IS NULL OR"
                + " revokes_at > ?) AND (expires_at IS NULL OR expires_at > ?)"
            : "";
    return store.read(
        "keysByPepperVersion",
        c -> {
          Map<Integer, Long> out = new java.util.TreeMap<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT pepper_version, COUNT(*) FROM api_keys"
                      + where
                      + " GROUP BY pepper_version")) {
            if (liveOnly) {
              ps.setLong(1, t);
              ps.setLong(2, t);
            }
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.put(rs.getInt(1), rs.getLong(2));
              }
            }
          }
          return out;
        });
  }

  private static long count(Connection c, String sql, long t) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, t);
      ps.setLong(2, t);
      return single(ps);
    }
  }

  @Override
  public LeakStats leakStats(Instant since, String ownerId) {
    return store.read(
        "leakStats",
        c ->
            hasTable(c, "leak_incidents")
                ? fromIncidents(c, since, ownerId)
                : fromEvents(c, since));
  }

  private static boolean hasTable(Connection c, String table) throws SQLException {
    for (String name : new String[] {table, table.toUpperCase(java.util.Locale.ROOT)}) {
      try (ResultSet rs = c.getMetaData().getTables(null, null, name, null)) {
        if (rs.next()) {
          return true;
        }
      }
    }
    return false;
  }

  private static LeakStats fromIncidents(Connection c, Instant since, String ownerId)
      throws SQLException {
    List<LeakIncident> all = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + LeakRows.INCIDENT_COLUMNS
                + " FROM leak_incidents WHERE reported_at >= ?"
                + (ownerId == null ? "" : " AND owner_id = ?"))) {
      ps.setLong(1, since.toEpochMilli());
      if (ownerId != null) {
        ps.setString(2, ownerId);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          all.add(LeakRows.readIncident(rs));
        }
      }
    }
    return LeakStats.of(all, "leak_incidents");
  }

  private static LeakStats fromEvents(Connection c, Instant since) throws SQLException {
    long total;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT COUNT(*) FROM outbox_events WHERE type = 'key.leaked' AND created_at >= ?")) {
      ps.setLong(1, since.toEpochMilli());
      total = single(ps);
    }
    return new LeakStats(
        total,
        Map.of("unknown", total),
        total,
        0,
        0,
        0,
        0,
        LeakStats.Figures.NONE,
        LeakStats.Figures.NONE,
        "outbox events (key.leaked)");
  }

  @Override
  public void recordReportSettings(RecordedSettings settings) {
    Objects.requireNonNull(settings, "settings");
    store.write(
        "recordReportSettings",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO report_settings (id, node, recorded_at, settings) VALUES (1, ?, ?, ?)"
                      + " ON CONFLICT (id) DO UPDATE SET node = excluded.node,"
                      + " recorded_at = excluded.recorded_at, settings = excluded.settings")) {
            ps.setString(1, settings.node());
            ps.setLong(2, settings.recordedAt().toEpochMilli());
            ps.setString(3, settings.settings());
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public Optional<RecordedSettings> reportSettings() {
    return store.read(
        "reportSettings",
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT node, recorded_at, settings FROM report_settings WHERE id = 1");
              ResultSet rs = ps.executeQuery()) {
            return rs.next()
                ? Optional.of(
                    new RecordedSettings(
                        rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3)))
                : Optional.empty();
          }
        });
  }
}
