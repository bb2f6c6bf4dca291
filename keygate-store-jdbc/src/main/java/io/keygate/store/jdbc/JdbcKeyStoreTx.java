package io.keygate.store.jdbc;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.store.KeyStoreTx;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.JdbiException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The operations of one transaction, bound to its connection. Valid only while {@link
 * JdbcKeyStore#inTransaction} runs; confined to the thread running it.
 *
 * <p>Design note: the audit chain's tip lives in the single row of {@code audit_head}. {@link
 * #appendAudit} reads it with a row lock (PostgreSQL {@code FOR UPDATE}; on SQLite the transaction
 * already holds the write lock), checks its seal under the audit key, links the new event to it and
 * moves and reseals it, so concurrent transactions append one after another and the chain never
 * forks or skips a number, and a head moved back in the database is never extended. The lock is
 * held until the transaction ends, which also means an event becomes visible exactly when the
 * change it describes does.
 */
final class JdbcKeyStoreTx implements KeyStoreTx {
  private static final String PG_UNIQUE_VIOLATION = "23505";

  private final JdbcKeyStore store;
  private final Handle handle;
  private final Connection connection;
  private boolean ended;
  private AuditHead appendedHead;
  private boolean resealing;
  private final ChangeFeed.Pending changes = new ChangeFeed.Pending();

  JdbcKeyStoreTx(JdbcKeyStore store, Handle handle) {
    this.store = store;
    this.handle = handle;
    this.connection = handle.getConnection();
  }

  /** The key changes this transaction announces on the {@link ChangeFeed} when it commits. */
  ChangeFeed.Pending changes() {
    return changes;
  }

  /** Makes every later call fail: the transaction is over. */
  void end() {
    ended = true;
  }

  /** Runs {@code work} on this transaction's connection, mapping SQL faults. */
  <T> T run(String operation, JdbcKeyStore.SqlWork<T> work) {
    return handle(operation, h -> work.apply(connection));
  }

  /** Runs {@code work} on this transaction's Jdbi handle, mapping SQL and Jdbi faults. */
  <T> T handle(String operation, HandleCallback<T, SQLException> work) {
    if (ended) {
      throw new IllegalStateException(
          operation + " called after its transaction ended; use the tx only inside inTransaction");
    }
    try {
      return work.withHandle(handle);
    } catch (SQLException e) {
      throw store.unavailable(operation, e);
    } catch (JdbiException e) {
      throw store.unavailable(operation, e);
    }
  }

  @Override
  public Optional<ApiKeyRecord> lockKey(String keyId) {
    Objects.requireNonNull(keyId, "keyId");
    String sql =
        "SELECT "
            + Rows.KEY_COLUMNS
            + " FROM api_keys WHERE key_id = :id"
            + store.dialect().forUpdate();
    return handle("lockKey", h -> h.createQuery(sql).bind("id", keyId).map(Rows.KEY).findOne());
  }

  @Override
  public void insertKey(ApiKeyRecord key) {
    Objects.requireNonNull(key, "key");
    handle(
        "insertKey",
        h -> {
          try {
            return Rows.bindKey(h.createUpdate(Rows.KEY_INSERT), key).execute();
          } catch (JdbiException e) {
            if (isUniqueViolation(e)) {
              throw duplicate("insertKey", key);
            }
            throw e;
          }
        });
  }

  @Override
  public void insertImportedKey(ApiKeyRecord key, String legacySha256, String legacyPrefix) {
    insertKey(key);
    changes.imported(key.createdAt());
    handle(
        "insertImportedKey",
        h -> {
          try {
            return h.createUpdate(
                    "UPDATE api_keys SET legacy_sha256 = :sha, legacy_prefix = :prefix"
                        + " WHERE key_id = :id")
                .bind("sha", legacySha256)
                .bind("prefix", legacyPrefix)
                .bind("id", key.keyId())
                .execute();
          } catch (JdbiException e) {
            if (isUniqueViolation(e)) {
              throw new KeygateException.Conflict("a key with this sha256 was already imported");
            }
            throw e;
          }
        });
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
        handle(
            "updateKey",
            h -> {
              try {
                return Rows.bindKey(h.createUpdate(Rows.KEY_UPDATE), key).execute();
              } catch (JdbiException e) {
                if (isUniqueViolation(e)) {
                  throw duplicate("updateKey", key);
                }
                throw e;
              }
            });
    if (updated == 0) {
      throw new KeygateException.NotFound("key " + key.keyId() + " does not exist");
    }
    changes.keyChanged(key);
  }

  private static boolean isUniqueViolation(JdbiException e) {
    return e.getCause() instanceof SQLException sql && isUniqueViolation(sql);
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
    AuditKeys keys = store.requireAuditKeys();
    return run(
        "appendAudit",
        c -> {
          AuditHead head = sealedHead(c, keys);
          AuditChain.Appended a = AuditChain.append(keys, head, entry); // checks the head's seal
          if (!resealing) {
            store.requireWitnessAgrees(c, head);
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO audit_log ("
                      + Rows.AUDIT_COLUMNS
                      + ") VALUES ("
                      + Rows.AUDIT_PLACEHOLDERS
                      + ")")) {
            Rows.bindAudit(ps, a.event());
            ps.executeUpdate();
          }
          writeHead(c, a.head());
          appendedHead = a.head();
          return a.event();
        });
  }

  /**
   * The head, locked until the transaction ends (PostgreSQL {@code FOR UPDATE}; SQLite's write
   * transaction holds the database lock), sealed under {@code keys} first if no node sealed it yet.
   * Sealing also records the audit key's check value, so a head that later looks unsealed is
   * recognised as tampered with; it is refused when that record, or this node's witness, shows the
   * chain was keyed before.
   */
  AuditHead sealedHead(Connection c, AuditKeys keys) throws SQLException {
    AuditHead head = store.readHead(c, true);
    if (head.sealed()) {
      return head;
    }
    if (!store.secretChecks(c, AuditKeys.SECRET).isEmpty()) {
      throw new KeygateException.AuditIntegrity(
          "audit_head_unsealed",
          "the audit head is not sealed although an audit key was already used with this"
              + " database: it was unsealed in the database (to pass keyed events off as"
              + " unkeyed), or the database was restored from a backup older than the audit key;"
              + " nothing was changed. Run keygate audit verify");
    }
    store.requireWitnessAgrees(c, head); // a witness that saw a keyed chain forbids a new seal
    AuditHead sealed = AuditChain.seal(keys, head);
    writeHead(c, sealed);
    store.insertSecretCheck(
        c, AuditKeys.SECRET, sealed.keyVersion(), keys.checkValue(sealed.keyVersion()));
    return sealed;
  }

  /** Moves the head row to {@code head}. */
  void writeHead(Connection c, AuditHead head) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE audit_head SET last_seq = ?, last_hash = ?, keyed_from = ?, key_version = ?,"
                + " mac = ? WHERE id = 1")) {
      ps.setLong(1, head.seq());
      ps.setString(2, head.hash());
      ps.setLong(3, head.keyedFrom());
      ps.setInt(4, head.keyVersion());
      ps.setString(5, head.mac());
      ps.executeUpdate();
    }
  }

  /**
   * An operator's reseal (see {@link io.keygate.core.store.KeyStore#resealAuditHead}): moves the
   * head to the newest stored event and seals it, then appends {@code note} with what was found.
   * The switch-over point never moves up: it stays at the lowest of the found head's, the
   * witness's, the first keyed event's and the log's end, so keyed events rewritten as unkeyed stay
   * visible. The append extends the new head even though the witness, which the caller resets
   * afterwards, still contradicts it.
   *
   * @return the head after the note
   */
  AuditHead reseal(Connection c, AuditKeys keys, AuditEntry note) throws SQLException {
    AuditHead found = store.readHead(c, true);
    long end = 0;
    String endHash = AuditChain.GENESIS;
    long firstKeyed = Long.MAX_VALUE;
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT MAX(seq), MIN(CASE WHEN key_version > 0 THEN seq END) FROM audit_log");
        ResultSet rs = ps.executeQuery()) {
      if (rs.next() && rs.getObject(1) != null) {
        end = rs.getLong(1);
        if (rs.getObject(2) != null) {
          firstKeyed = rs.getLong(2);
        }
      }
    }
    if (end > 0) {
      try (PreparedStatement ps = c.prepareStatement("SELECT hash FROM audit_log WHERE seq = ?")) {
        ps.setLong(1, end);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          endHash = rs.getString(1);
        }
      }
    }
    long keyedFrom =
        Math.min(
            Math.min(end + 1, firstKeyed),
            Math.min(
                found.sealed() ? found.keyedFrom() : Long.MAX_VALUE, store.witnessedKeyedFrom()));
    int v = keys.currentVersion();
    writeHead(
        c,
        new AuditHead(
            end, endHash, keyedFrom, v, AuditChain.headMac(keys, v, keyedFrom, end, endHash)));
    store.insertSecretCheck(c, AuditKeys.SECRET, v, keys.checkValue(v));
    java.util.Map<String, String> details = new java.util.TreeMap<>(note.details());
    details.put("found_head_seq", Long.toString(found.seq()));
    details.put("found_head_hash", found.hash());
    details.put("found_keyed_from", Long.toString(found.keyedFrom()));
    details.put("log_end_seq", Long.toString(end));
    details.put("keyed_from", Long.toString(keyedFrom));
    resealing = true;
    appendAudit(
        new AuditEntry(
            note.at(),
            note.actor(),
            note.action(),
            note.targetId(),
            note.ownerId(),
            note.sourceIp(),
            details));
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
    handle(
        "insertCanary",
        h -> {
          try {
            LeakRows.insertCanary(h, canary);
          } catch (JdbiException e) {
            if (isUniqueViolation(e)) {
              throw new KeygateException.Conflict("key " + canary.keyId() + " is already a canary");
            }
            throw e;
          }
          return null;
        });
  }
}
