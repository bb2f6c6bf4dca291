package io.keygate.store.jdbc;

import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.LeakAction;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.leaks.LeakLocation;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;

/**
 * Maps leak incidents and canaries to rows and back (see {@code V3__leaks.sql}, {@code
 * V11__leak_exposure.sql}; {@code found_at} holds the exposure time). Stateless.
 */
final class LeakRows {
  static final String INCIDENT_COLUMNS =
      "incident_id, dedupe_key, key_id, owner_id, key_type, key_hint, source, url, file_path,"
          + " line_no, commit_sha, found_at, reported_at, revoked_at, action, reporter, exposure,"
          + " live_key";

  static final String CANARY_COLUMNS = "key_id, owner_id, label, hint, created_at, created_by";

  private LeakRows() {}

  static void bindIncident(PreparedStatement ps, LeakIncident i) throws SQLException {
    ps.setString(1, i.incidentId());
    ps.setString(2, i.dedupeKey());
    ps.setString(3, i.keyId());
    ps.setString(4, i.ownerId());
    ps.setString(5, i.keyType());
    ps.setString(6, i.keyHint());
    ps.setString(7, i.source());
    ps.setString(8, i.location().url());
    ps.setString(9, i.location().file());
    if (i.location().line() == null) {
      ps.setNull(10, Types.BIGINT);
    } else {
      ps.setLong(10, i.location().line());
    }
    ps.setString(11, i.location().commit());
    Rows.setMillis(ps, 12, i.exposedAt());
    Rows.setMillis(ps, 13, i.reportedAt());
    Rows.setMillis(ps, 14, i.revokedAt());
    ps.setString(15, i.action().wire());
    ps.setString(16, i.reporter());
    ps.setString(17, i.exposure().wire());
    ps.setInt(18, i.liveKey() ? 1 : 0);
  }

  static LeakIncident readIncident(ResultSet rs) throws SQLException {
    long line = rs.getLong("line_no");
    Long lineNo = rs.wasNull() ? null : line;
    long revoked = rs.getLong("revoked_at");
    Instant revokedAt = rs.wasNull() ? null : Instant.ofEpochMilli(revoked);
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
        revokedAt,
        LeakAction.fromWire(rs.getString("action")),
        rs.getString("reporter"),
        Exposure.fromWire(rs.getString("exposure")),
        rs.getInt("live_key") != 0);
  }

  static void bindCanary(PreparedStatement ps, Canary c) throws SQLException {
    ps.setString(1, c.keyId());
    ps.setString(2, c.ownerId());
    ps.setString(3, c.label());
    ps.setString(4, c.hint());
    Rows.setMillis(ps, 5, c.createdAt());
    ps.setString(6, c.createdBy());
  }

  static Canary readCanary(ResultSet rs) throws SQLException {
    return new Canary(
        rs.getString("key_id"),
        rs.getString("owner_id"),
        rs.getString("label"),
        rs.getString("hint"),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        rs.getString("created_by"));
  }
}
