package io.keygate.store.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.Update;

/**
 * Maps records to rows and back. Instants are stored as epoch milliseconds (so sub-millisecond
 * precision is dropped); settings collections and audit details as JSON text. Thread-safe:
 * stateless apart from a shared, immutable Jackson mapper.
 */
final class Rows {
  static final String KEY_COLUMNS =
      "key_id, type, hint, hash, pepper_version, owner_id, name, scopes, ip_allowlist,"
          + " rate_limits, meta, status, created_at, updated_at, expires_at, revoked_at,"
          + " revoke_reason, revokes_at, rotated_from, rotated_to, last_used_at, usage_count,"
          + " quota_remaining, quota_refill_amount, quota_refill_interval, quota_refilled_at";

  /** Inserts a key; bind with {@link #bindKey}. */
  static final String KEY_INSERT = insert("api_keys", KEY_COLUMNS);

  /**
   * Replaces a key's row, every column except id, creation time and usage (which only {@code
   * recordUsage} changes); bind with {@link #bindKey}.
   */
  static final String KEY_UPDATE =
      "UPDATE api_keys SET "
          + Arrays.stream(KEY_COLUMNS.split(","))
              .map(String::strip)
              .filter(
                  c -> !Set.of("key_id", "created_at", "last_used_at", "usage_count").contains(c))
              .map(c -> c + " = :" + c)
              .collect(Collectors.joining(", "))
          + " WHERE key_id = :key_id";

  static final String AUDIT_COLUMNS =
      "seq, at, actor, action, target_id, owner_id, source_ip, details, prev_hash, hash,"
          + " key_version";

  /** Appends an audit event; bind with {@link #bindAudit}. */
  static final String AUDIT_INSERT = insert("audit_log", AUDIT_COLUMNS);

  /**
   * The module's one Jackson configuration (plain defaults): every JSON column of every store is
   * read and written through it. Thread-safe once built.
   */
  static final ObjectMapper JSON = new ObjectMapper();

  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final TypeReference<LinkedHashMap<String, Object>> META = new TypeReference<>() {};
  private static final TypeReference<TreeMap<String, String>> DETAILS = new TypeReference<>() {};

  private Rows() {}

  /** {@code INSERT INTO table (columns) VALUES (:column, ...)}, one named parameter a column. */
  static String insert(String table, String columns) {
    return "INSERT INTO "
        + table
        + " ("
        + columns
        + ") VALUES ("
        + Arrays.stream(columns.split(","))
            .map(c -> ":" + c.strip())
            .collect(Collectors.joining(", "))
        + ")";
  }

  /**
   * Binds every column of {@link #KEY_COLUMNS} by name ({@link #KEY_UPDATE} leaves some unused,
   * which this allows); a key without quota binds the four quota columns as NULL.
   */
  static Update bindKey(Update u, ApiKeyRecord k) {
    KeySettings s = k.settings();
    Quota q = s.quota();
    boolean refills = q != null && q.refill() != null;
    return u.configure(SqlStatements.class, c -> c.setUnusedBindingAllowed(true))
        .bind("key_id", k.keyId())
        .bind("type", k.type())
        .bind("hint", k.hint())
        .bind("hash", k.hash())
        .bind("pepper_version", k.pepperVersion())
        .bind("owner_id", k.ownerId())
        .bind("name", s.name())
        .bind("scopes", write(s.scopes(), "scopes"))
        .bind("ip_allowlist", write(s.ipAllowlist(), "ip_allowlist"))
        .bind("rate_limits", writeRateLimits(s.rateLimits()))
        .bind("meta", write(s.meta(), "meta"))
        .bind("status", k.status().wire())
        .bind("created_at", millis(k.createdAt()))
        .bind("updated_at", millis(k.updatedAt()))
        .bind("expires_at", millis(k.expiresAt()))
        .bind("revoked_at", millis(k.revokedAt()))
        .bind("revoke_reason", k.revokeReason())
        .bind("revokes_at", millis(k.revokesAt()))
        .bind("rotated_from", k.rotatedFrom())
        .bind("rotated_to", k.rotatedTo())
        .bind("last_used_at", millis(k.lastUsedAt()))
        .bind("usage_count", k.usageCount())
        .bind("quota_remaining", q == null ? null : q.remaining())
        .bind("quota_refill_amount", refills ? q.refillAmount() : null)
        .bind("quota_refill_interval", refills ? q.refill().wire() : null)
        .bind("quota_refilled_at", q == null ? null : millis(q.refilledAt()));
  }

  private static Quota readQuota(ResultSet rs, String keyId) throws SQLException {
    long remaining = rs.getLong("quota_remaining");
    if (rs.wasNull()) {
      return null;
    }
    long amount = rs.getLong("quota_refill_amount");
    String interval = rs.getString("quota_refill_interval");
    Instant at = instant(rs, "quota_refilled_at");
    try {
      return new Quota(
          remaining,
          interval == null ? 0 : amount,
          interval == null ? null : Quota.Refill.fromWire(interval),
          at == null ? Instant.EPOCH : at);
    } catch (IllegalArgumentException e) {
      throw corrupt(keyId, e);
    }
  }

  /** Maps a row selected with {@link #KEY_COLUMNS}. */
  static final RowMapper<ApiKeyRecord> KEY = (rs, ctx) -> readKey(rs);

  /** Reads a row selected with {@link #KEY_COLUMNS}. */
  static ApiKeyRecord readKey(ResultSet rs) throws SQLException {
    String keyId = rs.getString("key_id");
    KeySettings settings =
        new KeySettings(
            rs.getString("name"),
            read(rs.getString("scopes"), STRINGS, keyId),
            read(rs.getString("ip_allowlist"), STRINGS, keyId),
            readRateLimits(rs.getString("rate_limits"), keyId),
            read(rs.getString("meta"), META, keyId),
            readQuota(rs, keyId));
    return new ApiKeyRecord(
        keyId,
        rs.getString("type"),
        rs.getString("hint"),
        rs.getString("hash"),
        rs.getInt("pepper_version"),
        rs.getString("owner_id"),
        settings,
        KeyStatus.fromWire(rs.getString("status")),
        instant(rs, "created_at"),
        instant(rs, "updated_at"),
        instant(rs, "expires_at"),
        instant(rs, "revoked_at"),
        rs.getString("revoke_reason"),
        instant(rs, "revokes_at"),
        rs.getString("rotated_from"),
        rs.getString("rotated_to"),
        instant(rs, "last_used_at"),
        rs.getLong("usage_count"));
  }

  /** Binds every column of {@link #AUDIT_COLUMNS} by name. */
  static Update bindAudit(Update u, AuditEvent ev) {
    AuditEntry e = ev.entry();
    return u.bind("seq", ev.seq())
        .bind("at", e.at().toEpochMilli())
        .bind("actor", e.actor())
        .bind("action", e.action())
        .bind("target_id", e.targetId())
        .bind("owner_id", e.ownerId())
        .bind("source_ip", e.sourceIp())
        .bind("details", write(e.details(), "details"))
        .bind("prev_hash", ev.prevHash())
        .bind("hash", ev.hash())
        .bind("key_version", ev.keyVersion());
  }

  /** Maps a row selected with {@link #AUDIT_COLUMNS}. */
  static final RowMapper<AuditEvent> AUDIT = (rs, ctx) -> readAudit(rs);

  /** Reads a row selected with {@link #AUDIT_COLUMNS}. */
  static AuditEvent readAudit(ResultSet rs) throws SQLException {
    long seq = rs.getLong("seq");
    AuditEntry entry =
        new AuditEntry(
            Instant.ofEpochMilli(rs.getLong("at")),
            rs.getString("actor"),
            rs.getString("action"),
            rs.getString("target_id"),
            rs.getString("owner_id"),
            rs.getString("source_ip"),
            read(rs.getString("details"), DETAILS, "audit event " + seq));
    return new AuditEvent(
        seq, entry, rs.getString("prev_hash"), rs.getString("hash"), rs.getInt("key_version"));
  }

  /** Columns of {@code outbox_events}, in the order {@link #insertEvent} binds them. */
  static final String EVENT_COLUMNS = "event_id, type, owner_id, key_id, created_at, data";

  /** Maps a row selected with {@link #EVENT_COLUMNS}. */
  static final RowMapper<OutboxEvent> EVENT = (rs, ctx) -> readEvent(rs);

  /** Inserts an outbox event on {@code h}, inside the caller's transaction. */
  static void insertEvent(Handle h, OutboxEvent e) {
    h.createUpdate(insert("outbox_events", EVENT_COLUMNS))
        .bind("event_id", e.eventId())
        .bind("type", e.type())
        .bind("owner_id", e.ownerId())
        .bind("key_id", e.keyId())
        .bind("created_at", e.createdAt().toEpochMilli())
        .bind("data", write(e.data(), "event data"))
        .execute();
  }

  /** Epoch milliseconds of {@code t}, or null. */
  static Long millis(Instant t) {
    return t == null ? null : t.toEpochMilli();
  }

  /** Reads a row selected with {@link #EVENT_COLUMNS}. */
  static OutboxEvent readEvent(ResultSet rs) throws SQLException {
    String id = rs.getString("event_id");
    return new OutboxEvent(
        id,
        rs.getString("type"),
        rs.getString("owner_id"),
        rs.getString("key_id"),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        read(rs.getString("data"), META, "outbox event " + id));
  }

  /** An epoch-millisecond column as an instant, or null. */
  static Instant instant(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(v);
  }

  private static String write(Object value, String what) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(what + " is not JSON-serialisable: " + e.getMessage(), e);
    }
  }

  private static String writeRateLimits(List<RateLimit> limits) {
    ArrayNode arr = JSON.createArrayNode();
    for (RateLimit l : limits) {
      arr.addObject()
          .put("name", l.name())
          .put("requests", l.requests())
          .put("window", l.window().toString());
    }
    return arr.toString();
  }

  private static <T> T read(String json, TypeReference<T> type, String row) {
    try {
      return JSON.readValue(json, type);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw corrupt(row, e);
    }
  }

  private static List<RateLimit> readRateLimits(String json, String keyId) {
    try {
      List<RateLimit> out = new ArrayList<>();
      for (JsonNode n : JSON.readTree(json)) {
        out.add(
            new RateLimit(
                n.path("name").asText(),
                n.path("requests").asLong(),
                Duration.parse(n.path("window").asText())));
      }
      return out;
    } catch (JsonProcessingException | DateTimeParseException | IllegalArgumentException e) {
      throw corrupt(keyId, e);
    }
  }

  private static KeygateException.StoreUnavailable corrupt(String row, Exception e) {
    return new KeygateException.StoreUnavailable(
        "stored JSON of " + row + " is unreadable: " + e.getMessage(), e);
  }
}
