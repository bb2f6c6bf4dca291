package io.keygate.store.jdbc;

import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakAction;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.leaks.LeakLocation;
import io.keygate.core.model.Page;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * Maps leak incidents and canaries to rows and back, and reads them (see {@code V3__leaks.sql},
 * {@code V11__leak_exposure.sql}; {@code found_at} holds the exposure time). Stateless.
 */
final class LeakRows {
  private static final Cursors.Order INCIDENTS_NEWEST_FIRST =
      new Cursors.Order("reported_at", "incident_id");

  static final String INCIDENT_COLUMNS =
      "incident_id, dedupe_key, key_id, owner_id, key_type, key_hint, source, url, file_path,"
          + " line_no, commit_sha, found_at, reported_at, revoked_at, action, reporter, exposure,"
          + " live_key";

  static final String CANARY_COLUMNS = "key_id, owner_id, label, hint, created_at, created_by";

  private LeakRows() {}

  /**
   * Inserts {@code i} on {@code h}, inside the caller's transaction, unless an incident with its
   * dedupe key exists: {@code ON CONFLICT DO NOTHING} keeps a PostgreSQL transaction usable after a
   * repeat, where a failed insert would abort it.
   *
   * @return the number of rows inserted, 0 or 1
   */
  static int insertIncident(Handle h, LeakIncident i) {
    return h.createUpdate(
            Rows.insert("leak_incidents", INCIDENT_COLUMNS)
                + " ON CONFLICT (dedupe_key) DO NOTHING")
        .bind("incident_id", i.incidentId())
        .bind("dedupe_key", i.dedupeKey())
        .bind("key_id", i.keyId())
        .bind("owner_id", i.ownerId())
        .bind("key_type", i.keyType())
        .bind("key_hint", i.keyHint())
        .bind("source", i.source())
        .bind("url", i.location().url())
        .bind("file_path", i.location().file())
        .bind("line_no", i.location().line())
        .bind("commit_sha", i.location().commit())
        .bind("found_at", Rows.millis(i.exposedAt()))
        .bind("reported_at", Rows.millis(i.reportedAt()))
        .bind("revoked_at", Rows.millis(i.revokedAt()))
        .bind("action", i.action().wire())
        .bind("reporter", i.reporter())
        .bind("exposure", i.exposure().wire())
        .bind("live_key", i.liveKey() ? 1 : 0)
        .execute();
  }

  /** Maps a row selected with {@link #INCIDENT_COLUMNS}. */
  static final RowMapper<LeakIncident> INCIDENT = (rs, ctx) -> readIncident(rs);

  static LeakIncident readIncident(ResultSet rs) throws SQLException {
    long line = rs.getLong("line_no");
    Long lineNo = rs.wasNull() ? null : line;
    return new LeakIncident(
        rs.getString("incident_id"),
        rs.getString("dedupe_key"),
        rs.getString("key_id"),
        rs.getString("owner_id"),
        rs.getString("key_type"),
        rs.getString("key_hint"),
        rs.getString("source"),
        new LeakLocation(
            rs.getString("url"), rs.getString("file_path"), lineNo, rs.getString("commit_sha")),
        Instant.ofEpochMilli(rs.getLong("found_at")),
        Instant.ofEpochMilli(rs.getLong("reported_at")),
        Rows.instant(rs, "revoked_at"),
        LeakAction.fromWire(rs.getString("action")),
        rs.getString("reporter"),
        Exposure.fromWire(rs.getString("exposure")),
        rs.getInt("live_key") != 0);
  }

  /** Inserts {@code c} on {@code h}, inside the caller's transaction. */
  static void insertCanary(Handle h, Canary c) {
    h.createUpdate(Rows.insert("canaries", CANARY_COLUMNS))
        .bind("key_id", c.keyId())
        .bind("owner_id", c.ownerId())
        .bind("label", c.label())
        .bind("hint", c.hint())
        .bind("created_at", Rows.millis(c.createdAt()))
        .bind("created_by", c.createdBy())
        .execute();
  }

  /** Maps a row selected with {@link #CANARY_COLUMNS}. */
  static final RowMapper<Canary> CANARY = (rs, ctx) -> readCanary(rs);

  static Canary readCanary(ResultSet rs) throws SQLException {
    return new Canary(
        rs.getString("key_id"),
        rs.getString("owner_id"),
        rs.getString("label"),
        rs.getString("hint"),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        rs.getString("created_by"));
  }

  /** One page of the incidents {@code query} selects, newest first. */
  static Page<LeakIncident> incidents(Handle h, IncidentQuery query) {
    Select select =
        new Select("SELECT " + INCIDENT_COLUMNS + " FROM leak_incidents WHERE 1 = 1")
            .eq("owner_id", query.ownerId())
            .eq("key_id", query.keyId());
    return Cursors.page(
        h,
        select,
        INCIDENTS_NEWEST_FIRST,
        query.cursor(),
        query.limit(),
        INCIDENT,
        i -> new Cursors.Position(i.reportedAt().toEpochMilli(), i.incidentId()));
  }

  /** The canary of key {@code keyId}, if it is one. */
  static Optional<Canary> canary(Handle h, String keyId) {
    return h.createQuery("SELECT " + CANARY_COLUMNS + " FROM canaries WHERE key_id = :key")
        .bind("key", keyId)
        .map(CANARY)
        .findOne();
  }

  /** One page of the canaries of {@code ownerId} (null: everyone's), newest first. */
  static Page<Canary> canaries(Handle h, String ownerId, int limit, String cursor) {
    Select select =
        new Select("SELECT " + CANARY_COLUMNS + " FROM canaries WHERE 1 = 1")
            .eq("owner_id", ownerId);
    return Cursors.page(
        h,
        select,
        KeySql.NEWEST_FIRST,
        cursor,
        limit,
        CANARY,
        c -> new Cursors.Position(c.createdAt().toEpochMilli(), c.keyId()));
  }
}
