package io.keygate.store.jdbc;

import io.keygate.core.key.KeyTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.store.QuotaDelta;
import io.keygate.core.store.UsageDelta;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * The queries on {@code api_keys} beyond mapping its rows ({@link Rows}): lookups by hash, id and
 * legacy SHA-256, the imported prefixes, the filtered listing, due revocations, and the usage and
 * quota counters that verification flushes. Each runs on the handle given. Stateless.
 */
final class KeySql {
  /** Keys: newest first, by creation time then key id. */
  static final Cursors.Order NEWEST_FIRST = new Cursors.Order("created_at", "key_id");

  /** Adds a flushed usage count and moves {@code last_used_at} forward only. */
  static final String ADD_USAGE =
      "UPDATE api_keys SET usage_count = usage_count + :n,"
          + " last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < :at"
          + " THEN :at ELSE last_used_at END"
          + " WHERE key_id = :key";

  /**
   * Consumes quota, refilling first when the key's refill period started after its last refill.
   * Every SET expression reads the row as it was before the update (SQL semantics, both dialects),
   * so the refill test and the new refill time agree.
   */
  static final String CONSUME_QUOTA;

  static {
    String refillDue = "quota_refill_interval IS NOT NULL AND quota_refilled_at < :period";
    CONSUME_QUOTA =
        "UPDATE api_keys SET quota_remaining = CASE WHEN "
            + refillDue
            + " THEN (CASE WHEN quota_refill_amount - :n < 0 THEN 0 ELSE quota_refill_amount - :n"
            + " END) ELSE (CASE WHEN quota_remaining - :n < 0 THEN 0 ELSE quota_remaining - :n"
            + " END) END, quota_refilled_at = CASE WHEN "
            + refillDue
            + " THEN :period ELSE quota_refilled_at END"
            + " WHERE key_id = :key AND quota_remaining IS NOT NULL";
  }

  private KeySql() {}

  /** The key whose {@code column} (unique: key id, hash or legacy SHA-256) is {@code value}. */
  static Optional<ApiKeyRecord> one(Handle h, String column, String value) {
    return h.createQuery("SELECT " + Rows.KEY_COLUMNS + " FROM api_keys WHERE " + column + " = :v")
        .bind("v", value)
        .map(Rows.KEY)
        .findOne();
  }

  /** The distinct non-null legacy prefixes of imported keys, of {@code ownerId} or of everyone. */
  static Set<String> importedPrefixes(Handle h, String ownerId) {
    return new Select("SELECT DISTINCT legacy_prefix FROM api_keys WHERE legacy_prefix IS NOT NULL")
        .eq("owner_id", ownerId)
        .query(h)
        .mapTo(String.class)
        .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * The prefixes of keys still verified by their legacy SHA-256 ({@code ""} for those imported
   * without one).
   */
  static Set<String> legacyPrefixes(Handle h) {
    return h.createQuery(
            "SELECT DISTINCT legacy_prefix FROM api_keys WHERE legacy_sha256 IS NOT NULL")
        .map((rs, ctx) -> Objects.requireNonNullElse(rs.getString(1), ""))
        .collect(Collectors.toUnmodifiableSet());
  }

  /** One page of the keys {@code query} selects, their status judged at {@code now}. */
  static Page<ApiKeyRecord> list(Handle h, KeyQuery query, Instant now) {
    Select select =
        new Select(
                "SELECT "
                    + Rows.KEY_COLUMNS
                    + " FROM api_keys WHERE type "
                    // a literal, so the partial index of admin tokens (V8) serves their listing
                    + (query.adminTokens() ? "= '" : "<> '")
                    + KeyTypes.ADMIN
                    + "'")
            .eq("owner_id", query.ownerId())
            .eq("type", query.type());
    if (query.status() != null) {
      select.and(effectiveStatus(query.status())).bind("now", now.toEpochMilli());
    }
    return Cursors.page(
        h,
        select,
        NEWEST_FIRST,
        query.cursor(),
        query.limit(),
        Rows.KEY,
        k -> new Cursors.Position(k.createdAt().toEpochMilli(), k.keyId()));
  }

  /**
   * The SQL form of {@link ApiKeyRecord#effectiveStatus} at {@code :now}: revoked if stored as
   * revoked or if {@code revokes_at} has passed, then disabled, then expired if {@code expires_at}
   * has passed, else active.
   */
  private static String effectiveStatus(KeyStatus status) {
    String revokeNotDue = "(revokes_at IS NULL OR revokes_at > :now)";
    return switch (status) {
      case REVOKED -> "(status = 'revoked' OR (revokes_at IS NOT NULL AND revokes_at <= :now))";
      case DISABLED -> "status = 'disabled' AND " + revokeNotDue;
      case EXPIRED ->
          "status = 'active' AND "
              + revokeNotDue
              + " AND expires_at IS NOT NULL AND expires_at <= :now";
      case ACTIVE ->
          "status = 'active' AND "
              + revokeNotDue
              + " AND (expires_at IS NULL OR expires_at > :now)";
    };
  }

  /** At most {@code limit} unrevoked keys whose revocation deadline passed, earliest first. */
  static List<ApiKeyRecord> dueForRevocation(Handle h, Instant now, int limit) {
    return h.createQuery(
            "SELECT "
                + Rows.KEY_COLUMNS
                + " FROM api_keys WHERE status IN ('active', 'disabled')"
                + " AND revokes_at IS NOT NULL AND revokes_at <= :now"
                + " ORDER BY revokes_at, key_id LIMIT :limit")
        .bind("now", now.toEpochMilli())
        .bind("limit", limit)
        .map(Rows.KEY)
        .list();
  }

  /** Binds one {@link #ADD_USAGE} row. */
  static PreparedBatch bindUsage(PreparedBatch b, UsageDelta d) {
    return b.bind("n", d.count()).bind("at", Rows.millis(d.lastUsedAt())).bind("key", d.keyId());
  }

  /** Binds one {@link #CONSUME_QUOTA} row. */
  static PreparedBatch bindQuota(PreparedBatch b, QuotaDelta d) {
    return b.bind(
            "period", d.periodStart() == null ? Long.MIN_VALUE : d.periodStart().toEpochMilli())
        .bind("n", d.consumed())
        .bind("key", d.keyId());
  }
}
