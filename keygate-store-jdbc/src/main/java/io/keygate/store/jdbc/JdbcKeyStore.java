package io.keygate.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.Page;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreTx;
import io.keygate.core.store.QuotaDelta;
import io.keygate.core.store.UsageDelta;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * {@link KeyStore} over a HikariCP pool, for SQLite and PostgreSQL alike, with its SQL run through
 * Jdbi 3 (fluent API, row mappers).
 *
 * <p>Design note: this class checks arguments, names operations and owns the transaction of a unit
 * of work ({@link #transact}: the caller's changes, then the {@link ChangeFeed} rows, commit, then
 * the audit witness); the pool and fault mapping live in {@link Database}, the audit chain in
 * {@link JdbcAuditChain}, and the SQL in {@link KeySql}, {@link LeakRows}, {@link SecretCheckRows}
 * and {@link Rows}. The sibling stores ({@link JdbcNotifyStore}, {@link JdbcMonitorStore}, {@link
 * JdbcAnomalyStore}, {@link JobLeases}) use the same entry points ({@link #query}, {@link #update},
 * {@link #transact}); every listing pages through {@link Cursors#page}. Infrastructure failures
 * surface as {@link KeygateException.StoreUnavailable} (see {@link Database#unavailable}).
 * Thread-safe.
 */
final class JdbcKeyStore implements KeyStore {
  private final Database db;
  private final JdbcAuditChain audit;
  private final String origin = UUID.randomUUID().toString();

  /**
   * @param auditKeys the audit keys appends are linked under, or {@code null} for a store that may
   *     read the audit log but not append to it
   * @param witness where committed audit heads are recorded outside the database, or {@code null}
   */
  JdbcKeyStore(
      HikariDataSource dataSource, Dialect dialect, AuditKeys auditKeys, AuditWitness witness) {
    this.db = new Database(dataSource, dialect);
    this.audit = new JdbcAuditChain(dialect, auditKeys, witness, db.name());
  }

  /** This store instance's id in the {@link ChangeFeed}, so its followers skip its own rows. */
  String origin() {
    return origin;
  }

  Dialect dialect() {
    return db.dialect();
  }

  @Override
  public <T> T inTransaction(Function<KeyStoreTx, T> work) {
    Objects.requireNonNull(work, "work");
    return transact(work::apply);
  }

  /** {@link #inTransaction} for this package's stores, which also run their own SQL in it. */
  <T> T transact(Function<JdbcKeyStoreTx, T> work) {
    Committed<T> done =
        db.inTransaction(
            h -> {
              JdbcKeyStoreTx tx = new JdbcKeyStoreTx(db, audit, h);
              try {
                T result = work.apply(tx);
                ChangeFeed.append(h, db.dialect(), tx.changes(), origin);
                return new Committed<>(result, tx.appendedHead());
              } finally {
                tx.end();
              }
            });
    audit.witness(done.auditHead());
    return done.result();
  }

  /** What a unit of work returned, and the audit head it left, {@code null} if it appended none. */
  private record Committed<T>(T result, AuditHead auditHead) {}

  /** Runs {@code work} in auto-commit mode (see {@link Database#query}). */
  <T> T query(String operation, HandleCallback<T, SQLException> work) {
    return db.query(operation, work);
  }

  /** Runs {@code work} on a Jdbi handle in one write transaction (for sibling stores). */
  <T> T update(String operation, HandleCallback<T, SQLException> work) {
    return transact(tx -> tx.handle(operation, work));
  }

  /**
   * Runs {@code sql} once for each of {@code rows} as one batch in one write transaction, or not at
   * all when there are none; {@code bind} binds a row's parameters. Rows run sorted by {@code
   * order}: a fixed row order keeps concurrent flushes on PostgreSQL from deadlocking on each
   * other.
   */
  <T> void batch(
      String operation,
      String sql,
      Collection<T> rows,
      Comparator<? super T> order,
      BiFunction<PreparedBatch, T, PreparedBatch> bind) {
    if (rows.isEmpty()) {
      return;
    }
    List<T> sorted = new ArrayList<>(rows);
    sorted.sort(order);
    update(
        operation,
        h -> {
          PreparedBatch batch = h.prepareBatch(sql);
          sorted.forEach(r -> bind.apply(batch, r).add());
          return batch.execute();
        });
  }

  /** See {@link Database#listen}. */
  Connection listen(String channel) throws SQLException {
    return db.listen(channel);
  }

  @Override
  public Optional<ApiKeyRecord> findByHash(String hash) {
    Objects.requireNonNull(hash, "hash");
    return query("findByHash", h -> KeySql.one(h, "hash", hash));
  }

  @Override
  public Optional<ApiKeyRecord> findByLegacySha256(String sha256Hex) {
    Objects.requireNonNull(sha256Hex, "sha256Hex");
    return query("findByLegacySha256", h -> KeySql.one(h, "legacy_sha256", sha256Hex));
  }

  @Override
  public Optional<ApiKeyRecord> findById(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    return query("findById", h -> KeySql.one(h, "key_id", keyId));
  }

  @Override
  public Set<String> importedPrefixes() {
    return query("importedPrefixes", h -> KeySql.importedPrefixes(h, null));
  }

  @Override
  public Set<String> importedPrefixes(String ownerId) {
    Objects.requireNonNull(ownerId, "ownerId");
    return query("importedPrefixesOfOwner", h -> KeySql.importedPrefixes(h, ownerId));
  }

  @Override
  public Set<String> legacyPrefixes() {
    return query("legacyPrefixes", KeySql::legacyPrefixes);
  }

  @Override
  public Page<ApiKeyRecord> list(KeyQuery query, Instant now) {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(now, "now");
    return query("list", h -> KeySql.list(h, query, now));
  }

  @Override
  public List<ApiKeyRecord> dueForRevocation(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    requirePositive(limit);
    return query("dueForRevocation", h -> KeySql.dueForRevocation(h, now, limit));
  }

  @Override
  public void recordUsage(Collection<UsageDelta> deltas) {
    requireCounts(deltas, UsageDelta::keyId, UsageDelta::count, "usage count");
    batch(
        "recordUsage",
        KeySql.ADD_USAGE,
        deltas,
        Comparator.comparing(UsageDelta::keyId),
        KeySql::bindUsage);
  }

  @Override
  public void recordQuotaUsage(Collection<QuotaDelta> deltas) {
    requireCounts(deltas, QuotaDelta::keyId, QuotaDelta::consumed, "quota consumption");
    batch(
        "recordQuotaUsage",
        KeySql.CONSUME_QUOTA,
        deltas,
        Comparator.comparing(QuotaDelta::keyId),
        KeySql::bindQuota);
  }

  /** Every delta names its key and counts {@code what} not below zero. */
  private static <T> void requireCounts(
      Collection<T> deltas, Function<T, String> keyId, ToLongFunction<T> count, String what) {
    Objects.requireNonNull(deltas, "deltas");
    for (T d : deltas) {
      Objects.requireNonNull(keyId.apply(d), "keyId");
      if (count.applyAsLong(d) < 0) {
        throw new IllegalArgumentException(
            what + " must not be negative, was " + count.applyAsLong(d) + " for " + keyId.apply(d));
      }
    }
  }

  @Override
  public List<AuditEvent> audit(AuditQuery query) {
    Objects.requireNonNull(query, "query");
    return query("audit", h -> audit.events(h, query));
  }

  @Override
  public List<AuditEvent> auditAfter(long afterSeq, int limit) {
    requirePositive(limit);
    return query("auditAfter", h -> audit.after(h, afterSeq, limit));
  }

  @Override
  public AuditHead auditHead() {
    return query("auditHead", h -> audit.head(h, false));
  }

  @Override
  public AuditHead sealAuditHead() {
    audit.requireKeys();
    return update("sealAuditHead", audit::sealedHead);
  }

  @Override
  public AuditHead resealAuditHead(AuditEntry note) {
    Objects.requireNonNull(note, "note");
    audit.requireKeys();
    AuditHead head = transact(tx -> tx.reseal(note));
    audit.resetWitness(head);
    return head;
  }

  @Override
  public Map<Integer, String> secretChecks(String secret) {
    Objects.requireNonNull(secret, "secret");
    return query("secretChecks", h -> SecretCheckRows.read(h, secret));
  }

  @Override
  public String recordSecretCheck(String secret, int version, String value) {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(value, "value");
    return update(
        "recordSecretCheck",
        h -> {
          SecretCheckRows.insert(h, secret, version, value);
          return SecretCheckRows.read(h, secret).get(version);
        });
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
    return query("incidents", h -> LeakRows.incidents(h, query));
  }

  @Override
  public Optional<Canary> findCanary(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    return query("findCanary", h -> LeakRows.canary(h, keyId));
  }

  @Override
  public Page<Canary> canaries(String ownerId, int limit, String cursor) {
    requirePositive(limit);
    return query("canaries", h -> LeakRows.canaries(h, ownerId, limit, cursor));
  }

  private static void requirePositive(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, was " + limit);
    }
  }

  @Override
  public void close() {
    db.close();
  }

  @Override
  public String toString() {
    return "JdbcKeyStore[" + db.name() + "]";
  }
}
