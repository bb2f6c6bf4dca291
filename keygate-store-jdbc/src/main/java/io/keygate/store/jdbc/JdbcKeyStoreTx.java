package io.keygate.store.jdbc;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.store.KeyStoreTx;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.JdbiException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The operations of one transaction, bound to its handle. Valid only while {@link
 * JdbcKeyStore#inTransaction} runs; confined to the thread running it. Audit appends go through
 * {@link JdbcAuditChain}, whose head lock serialises them; key changes are collected for the {@link
 * ChangeFeed}, which the store appends just before committing.
 */
final class JdbcKeyStoreTx implements KeyStoreTx {
  private static final String PG_UNIQUE_VIOLATION = "23505";

  private final Database db;
  private final JdbcAuditChain audit;
  private final Handle handle;
  private boolean ended;
  private AuditHead appendedHead;
  private final ChangeFeed.Pending changes = new ChangeFeed.Pending();

  JdbcKeyStoreTx(Database db, JdbcAuditChain audit, Handle handle) {
    this.db = db;
    this.audit = audit;
    this.handle = handle;
  }

  /** The key changes this transaction announces on the {@link ChangeFeed} when it commits. */
  ChangeFeed.Pending changes() {
    return changes;
  }

  /** Makes every later call fail: the transaction is over. */
  void end() {
    ended = true;
  }

  /** Runs {@code work} on this transaction's Jdbi handle, mapping SQL and Jdbi faults. */
  <T> T handle(String operation, HandleCallback<T, SQLException> work) {
    if (ended) {
      throw new IllegalStateException(
          operation + " called after its transaction ended; use the tx only inside inTransaction");
    }
    try {
      return work.withHandle(handle);
    } catch (SQLException | JdbiException e) {
      throw db.unavailable(operation, e);
    }
  }

  @Override
  public Optional<ApiKeyRecord> lockKey(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    String sql =
        "SELECT "
            + Rows.KEY_COLUMNS
            + " FROM api_keys WHERE key_id = :id"
            + db.dialect().forUpdate();
    return handle("lockKey", h -> h.createQuery(sql).bind("id", keyId).map(Rows.KEY).findOne());
  }

  @Override
  public void insertKey(ApiKeyRecord key) {
    Objects.requireNonNull(key, "key");
    unique(
        "insertKey",
        () -> duplicate("insertKey", key),
        h -> Rows.bindKey(h.createUpdate(Rows.KEY_INSERT), key).execute());
  }

  @Override
  public void insertImportedKey(ApiKeyRecord key, String legacySha256, String legacyPrefix) {
    insertKey(key);
    changes.imported(key.createdAt());
    unique(
        "insertImportedKey",
        () -> new KeygateException.Conflict("a key with this sha256 was already imported"),
        h ->
            h.createUpdate(
                    "UPDATE api_keys SET legacy_sha256 = :sha, legacy_prefix = :prefix"
                        + " WHERE key_id = :id")
                .bind("sha", legacySha256)
                .bind("prefix", legacyPrefix)
                .bind("id", key.keyId())
                .execute());
  }

  @Override
  public void clearLegacy(String keyId) {
    handle(
        "clearLegacy",
        h ->
            // legacy_prefix stays: the key keeps having no Keygate checksum
            h.createUpdate("UPDATE api_keys SET legacy_sha256 = NULL WHERE key_id = :id")
                .bind("id", keyId)
                .execute());
  }

  @Override
  public void updateKey(ApiKeyRecord key) {
    Objects.requireNonNull(key, "key");
    int updated =
        unique(
            "updateKey",
            () -> duplicate("updateKey", key),
            h -> Rows.bindKey(h.createUpdate(Rows.KEY_UPDATE), key).execute());
    if (updated == 0) {
      throw new KeygateException.NotFound("key " + key.keyId() + " does not exist");
    }
    changes.keyChanged(key);
  }

  /** {@link #handle} where a unique-constraint violation means {@code conflict}. */
  private <T> T unique(
      String operation,
      Supplier<KeygateException.Conflict> conflict,
      HandleCallback<T, SQLException> work) {
    return handle(
        operation,
        h -> {
          try {
            return work.withHandle(h);
          } catch (JdbiException e) {
            if (e.getCause() instanceof SQLException sql && isUniqueViolation(sql)) {
              throw conflict.get();
            }
            throw e;
          }
        });
  }

  private static boolean isUniqueViolation(SQLException e) {
    if (PG_UNIQUE_VIOLATION.equals(e.getSQLState())) {
      return true;
    }
    return e instanceof SQLiteException s
        && (s.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE
            || s.getResultCode() == SQLiteErrorCode.SQLITE_CONSTRAINT_PRIMARYKEY);
  }

  /** A duplicate id or hash; the message leaves the hash out, as it is not for logs. */
  private static KeygateException.Conflict duplicate(String operation, ApiKeyRecord key) {
    return new KeygateException.Conflict(
        operation + ": key id " + key.keyId() + " or its hash is already stored");
  }

  @Override
  public AuditEvent appendAudit(AuditEntry entry) {
    Objects.requireNonNull(entry, "entry");
    AuditChain.Appended a = handle("appendAudit", h -> audit.append(h, entry, true));
    appendedHead = a.head();
    return a.event();
  }

  /**
   * An operator's reseal in this transaction ({@link JdbcAuditChain#reseal}); the head after it.
   */
  AuditHead reseal(AuditEntry note) {
    appendedHead = handle("resealAuditHead", h -> audit.reseal(h, note)).head();
    return appendedHead;
  }

  /** The head after this transaction's last append, or {@code null} if it appended nothing. */
  AuditHead appendedHead() {
    return appendedHead;
  }

  @Override
  public void enqueueEvent(OutboxEvent event) {
    Objects.requireNonNull(event, "event");
    handle(
        "enqueueEvent",
        h -> {
          Rows.insertEvent(h, event);
          return null;
        });
  }

  @Override
  public boolean insertIncident(LeakIncident incident) {
    Objects.requireNonNull(incident, "incident");
    // ON CONFLICT DO NOTHING (SQLite >= 3.24, PostgreSQL >= 9.5) keeps a PostgreSQL transaction
    // usable after a repeat, where a failed INSERT would abort it.
    return handle("insertIncident", h -> LeakRows.insertIncident(h, incident) == 1);
  }

  @Override
  public void insertCanary(Canary canary) {
    Objects.requireNonNull(canary, "canary");
    unique(
        "insertCanary",
        () -> new KeygateException.Conflict("key " + canary.keyId() + " is already a canary"),
        h -> {
          LeakRows.insertCanary(h, canary);
          return null;
        });
  }
}
