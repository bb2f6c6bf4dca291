package io.keygate.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreTx;
import io.keygate.core.store.QuotaDelta;
import io.keygate.core.store.UsageDelta;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Function;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KeyStore} over a HikariCP pool, for SQLite and PostgreSQL alike.
 *
 * <p>Design note: reads run on a pooled connection in auto-commit mode; every write goes through
 * {@link #inTransaction}, which owns one connection for the whole unit of work (see {@link Dialect}
 * for how each database starts and ends it). Infrastructure failures surface as {@link
 * KeygateException.StoreUnavailable} whose message names the store, the operation and the pool's
 * state, in the manner of HikariCP's own timeout message. Thread-safe.
 */
final class JdbcKeyStore implements KeyStore {
  private static final Logger log = LoggerFactory.getLogger(JdbcKeyStore.class);

  private final HikariDataSource dataSource;
  private final Dialect dialect;
  private final String name;
  private final AuditKeys auditKeys;
  private final AuditWitness witness;
  private final String origin = UUID.randomUUID().toString();

  /**
   * @param auditKeys the audit keys appends are linked under, or {@code null} for a store that may
   *     read the audit log but not append to it
   * @param witness where committed audit heads are recorded outside the database, or {@code null}
   */
  JdbcKeyStore(
      HikariDataSource dataSource, Dialect dialect, AuditKeys auditKeys, AuditWitness witness) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.name = dataSource.getPoolName();
    this.auditKeys = auditKeys;
    this.witness = witness;
  }

  /** The audit keys, or an exception saying how to give them. */
  AuditKeys requireAuditKeys() {
    if (auditKeys == null) {
      throw new IllegalStateException(
          "this store was built without an audit key and cannot append to the audit log:"
              + " JdbcStores.auditKeys(...)");
    }
    return auditKeys;
  }

  /** This store instance's id in the {@link ChangeFeed}, so its followers skip its own rows. */
  String origin() {
    return origin;
  }

  Dialect dialect() {
    return dialect;
  }

  @Override
  public <T> T inTransaction(Function<KeyStoreTx, T> work) {
    Objects.requireNonNull(work, "work");
    return transact(work::apply);
  }

  /** {@link #inTransaction} for this package's stores, which also run their own SQL in it. */
  <T> T transact(Function<JdbcKeyStoreTx, T> work) {
    Connection c = connect("inTransaction");
    JdbcKeyStoreTx tx = new JdbcKeyStoreTx(this, c);
    boolean begun = false;
    try {
      dialect.begin(c);
      begun = true;
      T result = work.apply(tx);
      ChangeFeed.append(c, dialect, tx.changes(), origin);
      dialect.commit(c);
      witness(tx.appendedHead());
      return result;
    } catch (SQLException e) {
      KeygateException.StoreUnavailable failure =
          unavailable(begun ? "inTransaction (commit)" : "inTransaction (begin)", e);
      if (begun) {
        rollback(c, failure);
      }
      throw failure;
    } catch (Throwable t) {
      if (begun) {
        rollback(c, t);
      }
      throw t;
    } finally {
      tx.end();
      release(c);
    }
  }

  /**
   * Refuses to extend {@code head} when this node's witness contradicts it (the head was moved back
   * over deleted events, an event was rewritten, the switch-over point moved): extending it would
   * bury the evidence.
   */
  void requireWitnessAgrees(Connection c, AuditHead head) throws SQLException {
    if (witness == null) {
      return;
    }
    SQLException[] failed = new SQLException[1];
    List<String> problems;
    try {
      problems =
          witness.problems(
              head,
              seq -> {
                try (PreparedStatement ps =
                    c.prepareStatement("SELECT hash FROM audit_log WHERE seq = ?")) {
                  ps.setLong(1, seq);
                  try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                  }
                } catch (SQLException e) {
                  failed[0] = e;
                  return null;
                }
              });
    } catch (IllegalStateException | java.io.UncheckedIOException e) {
      throw new KeygateException.AuditIntegrity(
          "audit_witness_unreadable", e.getMessage() + "; nothing was changed");
    }
    if (failed[0] != null) {
      throw failed[0];
    }
    if (!problems.isEmpty()) {
      throw new KeygateException.AuditIntegrity(
          "audit_witness_mismatch",
          String.join("; ", problems)
              + "; nothing was changed. Run keygate audit verify; after restoring a backup on"
              + " purpose, keygate audit reseal accepts the database as it is");
    }
  }

  /**
   * Records a committed head in the witness file. A failure there is logged, not thrown: the change
   * is committed, and a witness that lags behind only narrows what it can catch.
   */
  private void witness(AuditHead committed) {
    if (committed == null || witness == null) {
      return;
    }
    try {
      witness.advance(committed);
    } catch (RuntimeException e) {
      log.warn(
          "{} - recording audit event {} in the witness failed: {}",
          name,
          committed.seq(),
          e.toString());
    }
  }

  private void rollback(Connection c, Throwable cause) {
    try {
      dialect.rollback(c);
    } catch (SQLException r) {
      cause.addSuppressed(r);
      log.warn("{} - rollback failed, evicting the connection", name, r);
      dataSource.evictConnection(c);
    }
  }

  private void release(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      log.warn("{} - returning a connection to the pool failed", name, e);
    }
  }

  @Override
  public Optional<ApiKeyRecord> findByHash(String hash) {
    Objects.requireNonNull(hash, "hash");
    return read(
        "findByHash",
        c -> selectOneKey(c, "SELECT " + Rows.KEY_COLUMNS + " FROM api_keys WHERE hash = ?", hash));
  }

  @Override
  public Optional<ApiKeyRecord> findByLegacySha256(String sha256Hex) {
    Objects.requireNonNull(sha256Hex, "sha256Hex");
    return read(
        "findByLegacySha256",
        c ->
            selectOneKey(
                c,
                "SELECT " + Rows.KEY_COLUMNS + " FROM api_keys WHERE legacy_sha256 = ?",
                sha256Hex));
  }

  @Override
  public java.util.Set<String> importedPrefixes() {
    return read(
        "importedPrefixes",
        c -> {
          java.util.Set<String> out = new java.util.HashSet<>();
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT DISTINCT legacy_prefix FROM api_keys WHERE legacy_prefix IS NOT NULL");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(rs.getString(1));
            }
          }
          return java.util.Set.copyOf(out);
        });
  }

  @Override
  public java.util.Set<String> legacyPrefixes() {
    return read(
        "legacyPrefixes",
        c -> {
          java.util.Set<String> out = new java.util.HashSet<>();
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT DISTINCT legacy_prefix FROM api_keys WHERE legacy_sha256 IS NOT NULL");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              String p = rs.getString(1);
              out.add(p == null ? "" : p);
            }
          }
          return java.util.Set.copyOf(out);
        });
  }

  @Override
  public Optional<ApiKeyRecord> findById(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    return read(
        "findById",
        c ->
            selectOneKey(
                c, "SELECT " + Rows.KEY_COLUMNS + " FROM api_keys WHERE key_id = ?", keyId));
  }

  static Optional<ApiKeyRecord> selectOneKey(Connection c, String sql, String param)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, param);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(Rows.readKey(rs)) : Optional.empty();
      }
    }
  }

  @Override
  public Page<ApiKeyRecord> list(KeyQuery query, Instant now) {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(now, "now");
    Cursors.Position after = query.cursor() == null ? null : Cursors.decode(query.cursor());
    long t = now.toEpochMilli();
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(Rows.KEY_COLUMNS)
            .append(" FROM api_keys WHERE type ")
            // a literal, so the partial index of admin tokens (V8) serves their listing
            .append(query.adminTokens() ? "= '" : "<> '")
            .append(KeyTypes.ADMIN)
            .append("'");
    List<Object> params = new ArrayList<>();
    if (query.ownerId() != null) {
      sql.append(" AND owner_id = ?");
      params.add(query.ownerId());
    }
    if (query.type() != null) {
      sql.append(" AND type = ?");
      params.add(query.type());
    }
    if (query.status() != null) {
      appendEffectiveStatus(sql, params, query.status(), t);
    }
    if (after != null) {
      sql.append(" AND (created_at < ? OR (created_at = ? AND key_id < ?))");
      params.add(after.createdAtMillis());
      params.add(after.createdAtMillis());
      params.add(after.keyId());
    }
    sql.append(" ORDER BY created_at DESC, key_id DESC LIMIT ?");
    params.add(query.limit() + 1);
    List<ApiKeyRecord> rows = read("list", c -> selectKeys(c, sql.toString(), params));
    if (rows.size() <= query.limit()) {
      return new Page<>(rows, null);
    }
    List<ApiKeyRecord> page = rows.subList(0, query.limit());
    ApiKeyRecord last = page.get(page.size() - 1);
    return new Page<>(page, Cursors.encode(last.createdAt().toEpochMilli(), last.keyId()));
  }

  /**
   * Appends the SQL form of {@link ApiKeyRecord#effectiveStatus}: revoked if stored as revoked or
   * if {@code revokes_at} has passed, then disabled, then expired if {@code expires_at} has passed,
   * else active.
   */
  private static void appendEffectiveStatus(
      StringBuilder sql, List<Object> params, KeyStatus status, long now) {
    String revokeNotDue = "(revokes_at IS NULL OR revokes_at > ?)";
    switch (status) {
      case REVOKED -> {
        sql.append(" AND (status = 'revoked' OR (revokes_at IS NOT NULL AND revokes_at <= ?))");
        params.add(now);
      }
      case DISABLED -> {
        sql.append(" AND status = 'disabled' AND ").append(revokeNotDue);
        params.add(now);
      }
      case EXPIRED -> {
        sql.append(" AND status = 'active' AND ")
            .append(revokeNotDue)
            .append(" AND expires_at IS NOT NULL AND expires_at <= ?");
        params.add(now);
        params.add(now);
      }
      case ACTIVE -> {
        sql.append(" AND status = 'active' AND ")
            .append(revokeNotDue)
            .append(" AND (expires_at IS NULL OR expires_at > ?)");
        params.add(now);
        params.add(now);
      }
    }
  }

  @Override
  public List<ApiKeyRecord> dueForRevocation(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    requirePositive(limit);
    String sql =
        "SELECT "
            + Rows.KEY_COLUMNS
            + " FROM api_keys WHERE status IN ('active', 'disabled')"
            + " AND revokes_at IS NOT NULL AND revokes_at <= ?"
            + " ORDER BY revokes_at, key_id LIMIT ?";
    return read("dueForRevocation", c -> selectKeys(c, sql, List.of(now.toEpochMilli(), limit)));
  }

  private static List<ApiKeyRecord> selectKeys(Connection c, String sql, List<Object> params)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      List<ApiKeyRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Rows.readKey(rs));
        }
      }
      return out;
    }
  }

  @Override
  public void recordUsage(Collection<UsageDelta> deltas) {
    Objects.requireNonNull(deltas, "deltas");
    if (deltas.isEmpty()) {
      return;
    }
    List<UsageDelta> sorted = new ArrayList<>(deltas);
    for (UsageDelta d : sorted) {
      Objects.requireNonNull(d.keyId(), "keyId");
      if (d.count() < 0) {
        throw new IllegalArgumentException(
            "usage count must not be negative, was " + d.count() + " for " + d.keyId());
      }
    }
    // A fixed row order keeps concurrent flushes on PostgreSQL from deadlocking on each other.
    sorted.sort(Comparator.comparing(UsageDelta::keyId));
    String sql =
        "UPDATE api_keys SET usage_count = usage_count + ?,"
            + " last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ?"
            + " ELSE last_used_at END"
            + " WHERE key_id = ?";
    transact(
        tx ->
            tx.run(
                "recordUsage",
                c -> {
                  try (PreparedStatement ps = c.prepareStatement(sql)) {
                    for (UsageDelta d : sorted) {
                      ps.setLong(1, d.count());
                      Rows.setMillis(ps, 2, d.lastUsedAt());
                      Rows.setMillis(ps, 3, d.lastUsedAt());
                      ps.setString(4, d.keyId());
                      ps.addBatch();
                    }
                    return ps.executeBatch();
                  }
                }));
  }

  @Override
  public void recordQuotaUsage(Collection<QuotaDelta> deltas) {
    Objects.requireNonNull(deltas, "deltas");
    if (deltas.isEmpty()) {
      return;
    }
    List<QuotaDelta> sorted = new ArrayList<>(deltas);
    for (QuotaDelta d : sorted) {
      Objects.requireNonNull(d.keyId(), "keyId");
      if (d.consumed() < 0) {
        throw new IllegalArgumentException(
            "quota consumption must not be negative, was " + d.consumed() + " for " + d.keyId());
      }
    }
    sorted.sort(Comparator.comparing(QuotaDelta::keyId));
    // Every SET expression reads the row as it was before the update (SQL semantics, both
    // dialects), so the refill test and the new refill time agree.
    String refillDue = "quota_refill_interval IS NOT NULL AND quota_refilled_at < ?";
    String sql =
        "UPDATE api_keys SET quota_remaining = CASE WHEN "
            + refillDue
            + " THEN (CASE WHEN quota_refill_amount - ? < 0 THEN 0 ELSE quota_refill_amount - ? END)"
            + " ELSE (CASE WHEN quota_remaining - ? < 0 THEN 0 ELSE quota_remaining - ? END) END,"
            + " quota_refilled_at = CASE WHEN "
            + refillDue
            + " THEN ? ELSE quota_refilled_at END"
            + " WHERE key_id = ? AND quota_remaining IS NOT NULL";
    transact(
        tx ->
            tx.run(
                "recordQuotaUsage",
                c -> {
                  try (PreparedStatement ps = c.prepareStatement(sql)) {
                    for (QuotaDelta d : sorted) {
                      long p =
                          d.periodStart() == null ? Long.MIN_VALUE : d.periodStart().toEpochMilli();
                      ps.setLong(1, p);
                      for (int i = 2; i <= 5; i++) {
                        ps.setLong(i, d.consumed());
                      }
                      ps.setLong(6, p);
                      ps.setLong(7, p);
                      ps.setString(8, d.keyId());
                      ps.addBatch();
                    }
                    return ps.executeBatch();
                  }
                }));
  }

  @Override
  public List<AuditEvent> audit(AuditQuery query) {
    Objects.requireNonNull(query, "query");
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(Rows.AUDIT_COLUMNS)
            .append(" FROM audit_log WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (query.targetId() != null) {
      sql.append(" AND target_id = ?");
      params.add(query.targetId());
    }
    if (query.ownerId() != null) {
      sql.append(" AND owner_id = ?");
      params.add(query.ownerId());
    }
    if (query.beforeSeq() != null) {
      sql.append(" AND seq < ?");
      params.add(query.beforeSeq());
    }
    sql.append(" ORDER BY seq DESC LIMIT ?");
    params.add(query.limit());
    return read("audit", c -> selectAudit(c, sql.toString(), params));
  }

  @Override
  public List<AuditEvent> auditAfter(long afterSeq, int limit) {
    requirePositive(limit);
    String sql =
        "SELECT " + Rows.AUDIT_COLUMNS + " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?";
    return read("auditAfter", c -> selectAudit(c, sql, List.of(afterSeq, limit)));
  }

  @Override
  public AuditHead auditHead() {
    return read("auditHead", c -> readHead(c, false));
  }

  /** Reads the head row, with a row lock when {@code lock}. */
  AuditHead readHead(Connection c, boolean lock) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT last_seq, last_hash, keyed_from, key_version, mac FROM audit_head"
                    + " WHERE id = 1"
                    + (lock ? dialect.forUpdate() : ""));
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("audit_head row is missing; the schema is damaged");
      }
      return new AuditHead(
          rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getInt(4), rs.getString(5));
    }
  }

  @Override
  public AuditHead sealAuditHead() {
    AuditKeys keys = requireAuditKeys();
    return transact(tx -> tx.run("sealAuditHead", c -> tx.sealedHead(c, keys)));
  }

  @Override
  public AuditHead resealAuditHead(AuditEntry note) {
    Objects.requireNonNull(note, "note");
    AuditKeys keys = requireAuditKeys();
    AuditHead head = transact(tx -> tx.run("resealAuditHead", c -> tx.reseal(c, keys, note)));
    if (witness != null) {
      witness.reset(head);
    }
    return head;
  }

  /**
   * The lowest switch-over point any evidence supports: the witness's, else the stored head's,
   * never above the log's end (a reseal must not pass keyed events off as unkeyed).
   */
  long witnessedKeyedFrom() {
    if (witness == null) {
      return Long.MAX_VALUE;
    }
    try {
      return witness
          .read()
          .map(AuditWitness.Seen::keyedFrom)
          .filter(k -> k > 0)
          .orElse(Long.MAX_VALUE);
    } catch (IllegalStateException | java.io.UncheckedIOException e) {
      return Long.MAX_VALUE;
    }
  }

  @Override
  public Map<Integer, String> secretChecks(String secret) {
    Objects.requireNonNull(secret, "secret");
    return read("secretChecks", c -> secretChecks(c, secret));
  }

  Map<Integer, String> secretChecks(Connection c, String secret) throws SQLException {
    Map<Integer, String> out = new java.util.TreeMap<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT version, check_value FROM secret_checks WHERE secret = ?")) {
      ps.setString(1, secret);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getInt(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  @Override
  public String recordSecretCheck(String secret, int version, String value) {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(value, "value");
    return transact(
        tx ->
            tx.run(
                "recordSecretCheck",
                c -> {
                  insertSecretCheck(c, secret, version, value);
                  return secretChecks(c, secret).get(version);
                }));
  }

  /** Inserts a check value unless one is recorded for that secret and version. */
  void insertSecretCheck(Connection c, String secret, int version, String value)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO secret_checks (secret, version, check_value) VALUES (?, ?, ?)"
                + " ON CONFLICT (secret, version) DO NOTHING")) {
      ps.setString(1, secret);
      ps.setInt(2, version);
      ps.setString(3, value);
      ps.executeUpdate();
    }
  }

  @Override
  public List<OutboxEvent> outbox(String ownerId, String keyId, int limit) {
    requirePositive(limit);
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(Rows.EVENT_COLUMNS)
            .append(" FROM outbox_events WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (ownerId != null) {
      sql.append(" AND owner_id = ?");
      params.add(ownerId);
    }
    if (keyId != null) {
      sql.append(" AND key_id = ?");
      params.add(keyId);
    }
    sql.append(" ORDER BY created_at DESC, event_id DESC LIMIT ?");
    params.add(limit);
    return read(
        "outbox",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            bind(ps, params);
            List<OutboxEvent> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(Rows.readEvent(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public Page<LeakIncident> incidents(IncidentQuery query) {
    Objects.requireNonNull(query, "query");
    Cursors.Position after = query.cursor() == null ? null : Cursors.decode(query.cursor());
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(LeakRows.INCIDENT_COLUMNS)
            .append(" FROM leak_incidents WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (query.ownerId() != null) {
      sql.append(" AND owner_id = ?");
      params.add(query.ownerId());
    }
    if (query.keyId() != null) {
      sql.append(" AND key_id = ?");
      params.add(query.keyId());
    }
    if (after != null) {
      sql.append(" AND (reported_at < ? OR (reported_at = ? AND incident_id < ?))");
      params.add(after.createdAtMillis());
      params.add(after.createdAtMillis());
      params.add(after.keyId());
    }
    sql.append(" ORDER BY reported_at DESC, incident_id DESC LIMIT ?");
    params.add(query.limit() + 1);
    List<LeakIncident> rows =
        read(
            "incidents",
            c -> {
              try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                bind(ps, params);
                List<LeakIncident> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    out.add(LeakRows.readIncident(rs));
                  }
                }
                return out;
              }
            });
    if (rows.size() <= query.limit()) {
      return new Page<>(rows, null);
    }
    List<LeakIncident> page = rows.subList(0, query.limit());
    LeakIncident last = page.get(page.size() - 1);
    return new Page<>(page, Cursors.encode(last.reportedAt().toEpochMilli(), last.incidentId()));
  }

  @Override
  public Optional<Canary> findCanary(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    return read(
        "findCanary",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT " + LeakRows.CANARY_COLUMNS + " FROM canaries WHERE key_id = ?")) {
            ps.setString(1, keyId);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(LeakRows.readCanary(rs)) : Optional.empty();
            }
          }
        });
  }

  @Override
  public Page<Canary> canaries(String ownerId, int limit, String cursor) {
    requirePositive(limit);
    Cursors.Position after = cursor == null ? null : Cursors.decode(cursor);
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(LeakRows.CANARY_COLUMNS)
            .append(" FROM canaries WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (ownerId != null) {
      sql.append(" AND owner_id = ?");
      params.add(ownerId);
    }
    if (after != null) {
      sql.append(" AND (created_at < ? OR (created_at = ? AND key_id < ?))");
      params.add(after.createdAtMillis());
      params.add(after.createdAtMillis());
      params.add(after.keyId());
    }
    sql.append(" ORDER BY created_at DESC, key_id DESC LIMIT ?");
    params.add(limit + 1);
    List<Canary> rows =
        read(
            "canaries",
            c -> {
              try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                bind(ps, params);
                List<Canary> out = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) {
                    out.add(LeakRows.readCanary(rs));
                  }
                }
                return out;
              }
            });
    if (rows.size() <= limit) {
      return new Page<>(rows, null);
    }
    List<Canary> page = rows.subList(0, limit);
    Canary last = page.get(page.size() - 1);
    return new Page<>(page, Cursors.encode(last.createdAt().toEpochMilli(), last.keyId()));
  }

  private static List<AuditEvent> selectAudit(Connection c, String sql, List<Object> params)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      List<AuditEvent> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(Rows.readAudit(rs));
        }
      }
      return out;
    }
  }

  private static void bind(PreparedStatement ps, List<Object> params) throws SQLException {
    for (int i = 0; i < params.size(); i++) {
      Object p = params.get(i);
      if (p instanceof String s) {
        ps.setString(i + 1, s);
      } else if (p instanceof Integer n) {
        ps.setInt(i + 1, n);
      } else {
        ps.setLong(i + 1, (Long) p);
      }
    }
  }

  private static void requirePositive(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, was " + limit);
    }
  }

  @Override
  public void close() {
    dataSource.close();
  }

  @Override
  public String toString() {
    return "JdbcKeyStore[" + name + "]";
  }

  /** Work on a connection that may throw {@link SQLException}. */
  @FunctionalInterface
  interface SqlWork<T> {
    T apply(Connection c) throws SQLException;
  }

  /** Runs {@code work} in one write transaction on its own connection (for sibling stores). */
  <T> T write(String operation, SqlWork<T> work) {
    return transact(tx -> tx.run(operation, work));
  }

  /**
   * A connection of its own, outside the pool (so that listening never takes one from requests),
   * with the pool's URL, credentials and timeouts, listening on PostgreSQL channel {@code channel};
   * the caller holds it and closes it.
   */
  Connection listen(String channel) throws SQLException {
    Properties props = new Properties();
    props.putAll(dataSource.getDataSourceProperties());
    if (dataSource.getUsername() != null) {
      props.setProperty("user", dataSource.getUsername());
    }
    if (dataSource.getPassword() != null) {
      props.setProperty("password", dataSource.getPassword());
    }
    Connection c = new Driver().connect(dataSource.getJdbcUrl(), props);
    if (c == null) {
      throw new SQLException("not a PostgreSQL URL: cannot listen");
    }
    try (Statement s = c.createStatement()) {
      s.execute("LISTEN " + channel);
      return c;
    } catch (SQLException e) {
      c.close();
      throw e;
    }
  }

  /** Runs {@code work} on a pooled connection in auto-commit mode, mapping SQL faults. */
  <T> T read(String operation, SqlWork<T> work) {
    Connection c = connect(operation);
    try {
      return work.apply(c);
    } catch (SQLException e) {
      throw unavailable(operation, e);
    } finally {
      release(c);
    }
  }

  private Connection connect(String operation) {
    try {
      return dataSource.getConnection();
    } catch (SQLException e) {
      throw unavailable(operation + " (getting a connection)", e);
    }
  }

  /**
   * A store fault naming the store, the operation and the pool's state, keeping the cause, e.g.
   * {@code keygate-postgresql - findByHash failed: Connection refused (pool total=0, active=0,
   * idle=0, waiting=0)}.
   */
  KeygateException.StoreUnavailable unavailable(String operation, SQLException e) {
    return new KeygateException.StoreUnavailable(
        name + " - " + operation + " failed: " + e.getMessage() + " (" + poolState() + ")", e);
  }

  private String poolState() {
    HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
    if (pool == null) {
      return "pool closed";
    }
    return "pool total="
        + pool.getTotalConnections()
        + ", active="
        + pool.getActiveConnections()
        + ", idle="
        + pool.getIdleConnections()
        + ", waiting="
        + pool.getThreadsAwaitingConnection();
  }
}
