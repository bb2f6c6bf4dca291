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
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KeyStore} over a HikariCP pool, for SQLite and PostgreSQL alike, with its SQL run through
 * Jdbi 3 (fluent API, row mappers).
 *
 * <p>Design note: reads run on a Jdbi handle over a pooled connection in auto-commit mode ({@link
 * #query}); every write goes through {@link #inTransaction}, which owns one handle for the whole
 * unit of work and begins and ends the transaction itself (see {@link Dialect} for how each
 * database does it; Jdbi never starts or force-ends one). The sibling stores ({@link
 * JdbcNotifyStore}, {@link JdbcMonitorStore}, {@link JdbcAnomalyStore}, {@link JobLeases}) use the
 * same two entry points; every listing pages through {@link Cursors#page}. Infrastructure failures
 * surface as {@link KeygateException.StoreUnavailable} whose message names the store, the operation
 * and the pool's state, in the manner of HikariCP's own timeout message, and whose cause is the
 * driver's {@link SQLException}. Thread-safe.
 */
final class JdbcKeyStore implements KeyStore {
  private static final Logger log = LoggerFactory.getLogger(JdbcKeyStore.class);

  /** Keys and canaries: newest first, by creation time then key id. */
  private static final Cursors.Order NEWEST_FIRST = new Cursors.Order("created_at", "key_id");

  private static final Cursors.Order INCIDENTS_NEWEST_FIRST =
      new Cursors.Order("reported_at", "incident_id");

  private final HikariDataSource dataSource;
  private final Jdbi jdbi;
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
    this.jdbi = Jdbi.create(dataSource);
    // Transactions are begun and ended here (see Dialect), never by Jdbi.
    jdbi.getConfig(Handles.class).setForceEndTransactions(false);
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
    Handle h = open("inTransaction");
    Connection c = h.getConnection();
    JdbcKeyStoreTx tx = new JdbcKeyStoreTx(this, h);
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
      release(h);
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

  private void release(Handle h) {
    try {
      h.close();
    } catch (JdbiException e) {
      log.warn("{} - returning a connection to the pool failed", name, e);
    }
  }

  @Override
  public Optional<ApiKeyRecord> findByHash(String hash) {
    Objects.requireNonNull(hash, "hash");
    return query("findByHash", h -> oneKey(h, "hash", hash));
  }

  @Override
  public Optional<ApiKeyRecord> findByLegacySha256(String sha256Hex) {
    Objects.requireNonNull(sha256Hex, "sha256Hex");
    return query("findByLegacySha256", h -> oneKey(h, "legacy_sha256", sha256Hex));
  }

  @Override
  public Set<String> importedPrefixes() {
    return query(
        "importedPrefixes",
        h ->
            h.createQuery(
                    "SELECT DISTINCT legacy_prefix FROM api_keys WHERE legacy_prefix IS NOT NULL")
                .mapTo(String.class)
                .collect(Collectors.toUnmodifiableSet()));
  }

  @Override
  public Set<String> importedPrefixes(String ownerId) {
    Objects.requireNonNull(ownerId, "ownerId");
    return query(
        "importedPrefixesOfOwner",
        h ->
            h.createQuery(
                    "SELECT DISTINCT legacy_prefix FROM api_keys"
                        + " WHERE legacy_prefix IS NOT NULL AND owner_id = :owner")
                .bind("owner", ownerId)
                .mapTo(String.class)
                .collect(Collectors.toUnmodifiableSet()));
  }

  @Override
  public Set<String> legacyPrefixes() {
    return query(
        "legacyPrefixes",
        h ->
            h.createQuery(
                    "SELECT DISTINCT legacy_prefix FROM api_keys WHERE legacy_sha256 IS NOT NULL")
                .map((rs, ctx) -> Objects.requireNonNullElse(rs.getString(1), ""))
                .collect(Collectors.toUnmodifiableSet()));
  }

  @Override
  public Optional<ApiKeyRecord> findById(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    return query("findById", h -> oneKey(h, "key_id", keyId));
  }

  private static Optional<ApiKeyRecord> oneKey(Handle h, String column, String value) {
    return h.createQuery("SELECT " + Rows.KEY_COLUMNS + " FROM api_keys WHERE " + column + " = :v")
        .bind("v", value)
        .map(Rows.KEY)
        .findOne();
  }

  @Override
  public Page<ApiKeyRecord> list(KeyQuery query, Instant now) {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(now, "now");
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
    return query(
        "list",
        h ->
            Cursors.page(
                h,
                select,
                NEWEST_FIRST,
                query.cursor(),
                query.limit(),
                Rows.KEY,
                k -> new Cursors.Position(k.createdAt().toEpochMilli(), k.keyId())));
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

  @Override
  public List<ApiKeyRecord> dueForRevocation(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    requirePositive(limit);
    return query(
        "dueForRevocation",
        h ->
            h.createQuery(
                    "SELECT "
                        + Rows.KEY_COLUMNS
                        + " FROM api_keys WHERE status IN ('active', 'disabled')"
                        + " AND revokes_at IS NOT NULL AND revokes_at <= :now"
                        + " ORDER BY revokes_at, key_id LIMIT :limit")
                .bind("now", now.toEpochMilli())
                .bind("limit", limit)
                .map(Rows.KEY)
                .list());
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
    update(
        "recordUsage",
        h -> {
          PreparedBatch batch =
              h.prepareBatch(
                  "UPDATE api_keys SET usage_count = usage_count + :n,"
                      + " last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < :at"
                      + " THEN :at ELSE last_used_at END"
                      + " WHERE key_id = :key");
          for (UsageDelta d : sorted) {
            batch
                .bind("n", d.count())
                .bind("at", Rows.millis(d.lastUsedAt()))
                .bind("key", d.keyId())
                .add();
          }
          return batch.execute();
        });
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
    String refillDue = "quota_refill_interval IS NOT NULL AND quota_refilled_at < :period";
    String sql =
        "UPDATE api_keys SET quota_remaining = CASE WHEN "
            + refillDue
            + " THEN (CASE WHEN quota_refill_amount - :n < 0 THEN 0 ELSE quota_refill_amount - :n"
            + " END) ELSE (CASE WHEN quota_remaining - :n < 0 THEN 0 ELSE quota_remaining - :n"
            + " END) END, quota_refilled_at = CASE WHEN "
            + refillDue
            + " THEN :period ELSE quota_refilled_at END"
            + " WHERE key_id = :key AND quota_remaining IS NOT NULL";
    update(
        "recordQuotaUsage",
        h -> {
          PreparedBatch batch = h.prepareBatch(sql);
          for (QuotaDelta d : sorted) {
            batch
                .bind(
                    "period",
                    d.periodStart() == null ? Long.MIN_VALUE : d.periodStart().toEpochMilli())
                .bind("n", d.consumed())
                .bind("key", d.keyId())
                .add();
          }
          return batch.execute();
        });
  }

  @Override
  public List<AuditEvent> audit(AuditQuery query) {
    Objects.requireNonNull(query, "query");
    Select select =
        new Select("SELECT " + Rows.AUDIT_COLUMNS + " FROM audit_log WHERE 1 = 1")
            .eq("target_id", query.targetId())
            .eq("owner_id", query.ownerId());
    if (query.beforeSeq() != null) {
      select.and("seq < :before").bind("before", query.beforeSeq());
    }
    select.append(" ORDER BY seq DESC LIMIT :limit").bind("limit", query.limit());
    return query("audit", h -> select.query(h).map(Rows.AUDIT).list());
  }

  @Override
  public List<AuditEvent> auditAfter(long afterSeq, int limit) {
    requirePositive(limit);
    return query(
        "auditAfter",
        h ->
            h.createQuery(
                    "SELECT "
                        + Rows.AUDIT_COLUMNS
                        + " FROM audit_log WHERE seq > :after ORDER BY seq LIMIT :limit")
                .bind("after", afterSeq)
                .bind("limit", limit)
                .map(Rows.AUDIT)
                .list());
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
    Select select =
        new Select("SELECT " + Rows.EVENT_COLUMNS + " FROM outbox_events WHERE 1 = 1")
            .eq("owner_id", ownerId)
            .eq("key_id", keyId)
            .append(" ORDER BY created_at DESC, event_id DESC LIMIT :limit")
            .bind("limit", limit);
    return query("outbox", h -> select.query(h).map(Rows.EVENT).list());
  }

  @Override
  public Page<LeakIncident> incidents(IncidentQuery query) {
    Objects.requireNonNull(query, "query");
    Select select =
        new Select("SELECT " + LeakRows.INCIDENT_COLUMNS + " FROM leak_incidents WHERE 1 = 1")
            .eq("owner_id", query.ownerId())
            .eq("key_id", query.keyId());
    return query(
        "incidents",
        h ->
            Cursors.page(
                h,
                select,
                INCIDENTS_NEWEST_FIRST,
                query.cursor(),
                query.limit(),
                LeakRows.INCIDENT,
                i -> new Cursors.Position(i.reportedAt().toEpochMilli(), i.incidentId())));
  }

  @Override
  public Optional<Canary> findCanary(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    return query(
        "findCanary",
        h ->
            h.createQuery(
                    "SELECT " + LeakRows.CANARY_COLUMNS + " FROM canaries WHERE key_id = :key")
                .bind("key", keyId)
                .map(LeakRows.CANARY)
                .findOne());
  }

  @Override
  public Page<Canary> canaries(String ownerId, int limit, String cursor) {
    requirePositive(limit);
    Select select =
        new Select("SELECT " + LeakRows.CANARY_COLUMNS + " FROM canaries WHERE 1 = 1")
            .eq("owner_id", ownerId);
    return query(
        "canaries",
        h ->
            Cursors.page(
                h,
                select,
                NEWEST_FIRST,
                cursor,
                limit,
                LeakRows.CANARY,
                c -> new Cursors.Position(c.createdAt().toEpochMilli(), c.keyId())));
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

  /** Runs {@code work} in one write transaction on its own connection (for sibling stores). */
  <T> T write(String operation, SqlWork<T> work) {
    return transact(tx -> tx.run(operation, work));
  }

  /** Runs {@code work} on a pooled connection in auto-commit mode, mapping SQL faults. */
  <T> T read(String operation, SqlWork<T> work) {
    return query(operation, h -> work.apply(h.getConnection()));
  }

  /**
   * Runs {@code work} on a Jdbi handle over a pooled connection in auto-commit mode; SQL and Jdbi
   * faults become {@link KeygateException.StoreUnavailable}.
   */
  <T> T query(String operation, HandleCallback<T, SQLException> work) {
    Handle h = open(operation);
    try {
      return work.withHandle(h);
    } catch (SQLException e) {
      throw unavailable(operation, e);
    } catch (JdbiException e) {
      throw unavailable(operation, e);
    } finally {
      release(h);
    }
  }

  /** Runs {@code work} on a Jdbi handle in one write transaction (for sibling stores). */
  <T> T update(String operation, HandleCallback<T, SQLException> work) {
    return transact(tx -> tx.handle(operation, work));
  }

  private Handle open(String operation) {
    try {
      return jdbi.open();
    } catch (JdbiException e) {
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

  /**
   * {@link #unavailable(String, SQLException)} for a fault Jdbi reports: the underlying {@link
   * SQLException} is message and cause when there is one, as for faults met without Jdbi.
   */
  KeygateException.StoreUnavailable unavailable(String operation, JdbiException e) {
    if (e.getCause() instanceof SQLException sql) {
      return unavailable(operation, sql);
    }
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
