package io.keygate.store.jdbc;

import io.keygate.core.monitor.KeyStats;
import io.keygate.core.monitor.LeakStats;
import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.monitor.RecordedSettings;
import io.keygate.core.monitor.UsageCount;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * {@link MonitorStore} over the same pool and schema as {@link JdbcKeyStore} ({@code usage_minutes}
 * of V4; leak figures from V3's {@code leak_incidents}, or from {@code key.leaked} outbox events
 * when that table is absent; the report's recorded settings in V13's {@code report_settings}).
 * Thread-safe.
 */
final class JdbcMonitorStore implements MonitorStore {
  /** Keys that verify at {@code :now}, admin tokens left out. */
  private static final String ACTIVE =
      " FROM api_keys WHERE type <> 'admin' AND status = 'active'"
          + " AND (revokes_at IS NULL OR revokes_at > :now)"
          + " AND (expires_at IS NULL OR expires_at > :now)";

  private final JdbcKeyStore store;

  JdbcMonitorStore(JdbcKeyStore store) {
    this.store = store;
  }

  @Override
  public void addUsage(Collection<UsageCount> counts) {
    store.batch(
        "addUsage",
        "INSERT INTO usage_minutes (key_id, minute_at, outcome, requests)"
            + " VALUES (:key, :minute, :outcome, :n)"
            + " ON CONFLICT (key_id, minute_at, outcome)"
            + " DO UPDATE SET requests = usage_minutes.requests + excluded.requests",
        counts,
        Comparator.comparing(UsageCount::keyId)
            .thenComparing(UsageCount::at)
            .thenComparing(UsageCount::outcome),
        (b, u) ->
            b.bind("key", u.keyId())
                .bind("minute", u.at().toEpochMilli() / 60_000L * 60_000L)
                .bind("outcome", u.outcome())
                .bind("n", u.count()));
  }

  @Override
  public List<UsageCount> usage(String keyId, Instant from, Instant to, Duration bucket) {
    Objects.requireNonNull(keyId, "keyId");
    long b = bucket.toMillis();
    if (b < 60_000L) {
      throw new IllegalArgumentException("bucket must be at least a minute, was " + bucket);
    }
    List<UsageCount> rows =
        store.query(
            "usage",
            h ->
                h.createQuery(
                        "SELECT minute_at, outcome, requests FROM usage_minutes WHERE key_id = :key"
                            + " AND minute_at >= :from AND minute_at < :to")
                    .bind("key", keyId)
                    .bind("from", from.toEpochMilli())
                    .bind("to", to.toEpochMilli())
                    .map(
                        (rs, ctx) ->
                            new UsageCount(
                                keyId,
                                Instant.ofEpochMilli(rs.getLong(1) / b * b),
                                rs.getString(2),
                                rs.getLong(3)))
                    .list());
    TreeMap<Instant, TreeMap<String, Long>> agg = new TreeMap<>();
    rows.forEach(
        u ->
            agg.computeIfAbsent(u.at(), k -> new TreeMap<>())
                .merge(u.outcome(), u.count(), Long::sum));
    List<UsageCount> out = new ArrayList<>();
    agg.forEach((at, m) -> m.forEach((o, n) -> out.add(new UsageCount(keyId, at, o, n))));
    return out;
  }

  @Override
  public long totalUsage(Instant from, Instant to, String outcome) {
    Select sum =
        new Select(
                "SELECT COALESCE(SUM(requests), 0) FROM usage_minutes"
                    + " WHERE minute_at >= :from AND minute_at < :to")
            .bind("from", from.toEpochMilli())
            .bind("to", to.toEpochMilli())
            .eq("outcome", outcome);
    return store.query("totalUsage", h -> sum.query(h).mapTo(long.class).one());
  }

  @Override
  public long countEvents(String type, Instant since) {
    return store.query(
        "countEvents",
        h ->
            h.createQuery(
                    "SELECT COUNT(*) FROM outbox_events WHERE type = :type AND created_at >= :since")
                .bind("type", type)
                .bind("since", since.toEpochMilli())
                .mapTo(long.class)
                .one());
  }

  @Override
  public KeyStats keyStats(Instant now) {
    long t = now.toEpochMilli();
    return store.query(
        "keyStats",
        h -> {
          Map<Integer, Long> peppers =
              countsByVersion(
                  new Select("SELECT pepper_version, COUNT(*)" + ACTIVE)
                      .bind("now", t)
                      .append(" GROUP BY pepper_version")
                      .query(h));
          return new KeyStats(
              count(h, "", t),
              count(h, " AND ip_allowlist <> '[]'", t),
              count(h, " AND rate_limits <> '[]'", t),
              count(h, " AND expires_at IS NOT NULL", t),
              peppers);
        });
  }

  private static long count(Handle h, String condition, long now) {
    return h.createQuery("SELECT COUNT(*)" + ACTIVE + condition)
        .bind("now", now)
        .mapTo(long.class)
        .one();
  }

  @Override
  public Map<Integer, Long> keysByPepperVersion(Instant now, boolean liveOnly) {
    Select select = new Select("SELECT pepper_version, COUNT(*) FROM api_keys WHERE 1 = 1");
    if (liveOnly) {
      select
          .and("status <> 'revoked' AND hash NOT LIKE 'imported:%'")
          .and("(revokes_at IS NULL OR revokes_at > :now)")
          .and("(expires_at IS NULL OR expires_at > :now)")
          .bind("now", now.toEpochMilli());
    }
    select.append(" GROUP BY pepper_version");
    return store.query("keysByPepperVersion", h -> countsByVersion(select.query(h)));
  }

  /** The rows of a {@code SELECT pepper_version, COUNT(*) ... GROUP BY pepper_version}. */
  private static Map<Integer, Long> countsByVersion(Query q) {
    return q.map((rs, ctx) -> Map.entry(rs.getInt(1), rs.getLong(2)))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, Long::sum, TreeMap::new));
  }

  @Override
  public LeakStats leakStats(Instant since, String ownerId) {
    return store.query(
        "leakStats",
        h ->
            hasTable(h, "leak_incidents")
                ? fromIncidents(h, since, ownerId)
                : fromEvents(h, since));
  }

  private static boolean hasTable(Handle h, String table) throws SQLException {
    DatabaseMetaData meta = h.getConnection().getMetaData();
    for (String name : new String[] {table, table.toUpperCase(Locale.ROOT)}) {
      try (ResultSet rs = meta.getTables(null, null, name, null)) {
        if (rs.next()) {
          return true;
        }
      }
    }
    return false;
  }

  private static LeakStats fromIncidents(Handle h, Instant since, String ownerId) {
    Select select =
        new Select(
                "SELECT "
                    + LeakRows.INCIDENT_COLUMNS
                    + " FROM leak_incidents WHERE reported_at >= :since")
            .bind("since", since.toEpochMilli())
            .eq("owner_id", ownerId);
    return LeakStats.of(select.query(h).map(LeakRows.INCIDENT).list(), "leak_incidents");
  }

  private static LeakStats fromEvents(Handle h, Instant since) {
    long total =
        h.createQuery(
                "SELECT COUNT(*) FROM outbox_events WHERE type = 'key.leaked'"
                    + " AND created_at >= :since")
            .bind("since", since.toEpochMilli())
            .mapTo(long.class)
            .one();
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
    store.update(
        "recordReportSettings",
        h ->
            h.createUpdate(
                    "INSERT INTO report_settings (id, node, recorded_at, settings)"
                        + " VALUES (1, :node, :at, :settings)"
                        + " ON CONFLICT (id) DO UPDATE SET node = excluded.node,"
                        + " recorded_at = excluded.recorded_at, settings = excluded.settings")
                .bind("node", settings.node())
                .bind("at", settings.recordedAt().toEpochMilli())
                .bind("settings", settings.settings())
                .execute());
  }

  @Override
  public Optional<RecordedSettings> reportSettings() {
    return store.query(
        "reportSettings",
        h ->
            h.createQuery("SELECT node, recorded_at, settings FROM report_settings WHERE id = 1")
                .map(
                    (rs, ctx) ->
                        new RecordedSettings(
                            rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)), rs.getString(3)))
                .findOne());
  }
}
