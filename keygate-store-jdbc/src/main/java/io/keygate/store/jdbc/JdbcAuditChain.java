package io.keygate.store.jdbc;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.audit.AuditWitness;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit chain over {@code audit_log} and the single row of {@code audit_head}: appends, seals,
 * reseals and reads, each on the handle of the caller's transaction or read.
 *
 * <p>Design note: the chain's tip lives in {@code audit_head}. {@link #append} reads it with a row
 * lock (PostgreSQL {@code FOR UPDATE}; on SQLite the transaction already holds the write lock),
 * checks its seal under the audit key, links the new event to it and moves and reseals it, so
 * concurrent transactions append one after another and the chain never forks or skips a number, and
 * a head moved back in the database is never extended. The lock is held until the transaction ends,
 * which also means an event becomes visible exactly when the change it describes does. A witness
 * file, when given, records each committed head outside the database ({@link #witness}), and an
 * append that contradicts it is refused.
 *
 * <p>Thread-safe: it holds only the audit keys and the witness; every call runs on the handle
 * given.
 */
final class JdbcAuditChain {
  private static final Logger log = LoggerFactory.getLogger(JdbcAuditChain.class);

  private final Dialect dialect;
  private final AuditKeys keys;
  private final AuditWitness witness;
  private final String name;

  /**
   * @param keys the audit keys appends are linked under, or {@code null} for a store that may read
   *     the audit log but not append to it
   * @param witness where committed audit heads are recorded outside the database, or {@code null}
   * @param name the store's name, for log lines
   */
  JdbcAuditChain(Dialect dialect, AuditKeys keys, AuditWitness witness, String name) {
    this.dialect = dialect;
    this.keys = keys;
    this.witness = witness;
    this.name = name;
  }

  /** The audit keys, or an exception saying how to give them. */
  AuditKeys requireKeys() {
    if (keys == null) {
      throw new IllegalStateException(
          "this store was built without an audit key and cannot append to the audit log:"
              + " JdbcStores.auditKeys(...)");
    }
    return keys;
  }

  /** Reads the head row, with a row lock when {@code lock}. */
  AuditHead head(Handle h, boolean lock) throws SQLException {
    return h.createQuery(
            "SELECT last_seq, last_hash, keyed_from, key_version, mac FROM audit_head WHERE id = 1"
                + (lock ? dialect.forUpdate() : ""))
        .map(
            (rs, ctx) ->
                new AuditHead(
                    rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getInt(4), rs.getString(5)))
        .findOne()
        .orElseThrow(() -> new SQLException("audit_head row is missing; the schema is damaged"));
  }

  /**
   * Appends {@code entry} after the locked head and moves the head past it. The head's seal is
   * checked first; so is this node's witness unless {@code checkWitness} is false (a reseal, whose
   * witness the caller resets afterwards).
   */
  AuditChain.Appended append(Handle h, AuditEntry entry, boolean checkWitness) throws SQLException {
    AuditKeys k = requireKeys();
    AuditHead head = sealedHead(h);
    AuditChain.Appended a = AuditChain.append(k, head, entry); // checks the head's seal
    if (checkWitness) {
      requireWitnessAgrees(h, head);
    }
    Rows.bindAudit(h.createUpdate(Rows.AUDIT_INSERT), a.event()).execute();
    writeHead(h, a.head());
    return a;
  }

  /**
   * The head, locked until the transaction ends (PostgreSQL {@code FOR UPDATE}; SQLite's write
   * transaction holds the database lock), sealed under the audit keys first if no node sealed it
   * yet. Sealing also records the audit key's check value, so a head that later looks unsealed is
   * recognised as tampered with; it is refused when that record, or this node's witness, shows the
   * chain was keyed before.
   */
  AuditHead sealedHead(Handle h) throws SQLException {
    AuditKeys k = requireKeys();
    AuditHead head = head(h, true);
    if (head.sealed()) {
      return head;
    }
    if (!SecretCheckRows.read(h, AuditKeys.SECRET).isEmpty()) {
      throw new KeygateException.AuditIntegrity(
          "audit_head_unsealed",
          "the audit head is not sealed although an audit key was already used with this"
              + " database: it was unsealed in the database (to pass keyed events off as"
              + " unkeyed), or the database was restored from a backup older than the audit key;"
              + " nothing was changed. Run keygate audit verify");
    }
    requireWitnessAgrees(h, head); // a witness that saw a keyed chain forbids a new seal
    AuditHead sealed = AuditChain.seal(k, head);
    writeHead(h, sealed);
    SecretCheckRows.insert(
        h, AuditKeys.SECRET, sealed.keyVersion(), k.checkValue(sealed.keyVersion()));
    return sealed;
  }

  /**
   * An operator's reseal (see {@link io.keygate.core.store.KeyStore#resealAuditHead}): moves the
   * head to the newest stored event and seals it, then appends {@code note} with what was found.
   * The switch-over point never moves up: it stays at the lowest of the found head's, the
   * witness's, the first keyed event's and the log's end, so keyed events rewritten as unkeyed stay
   * visible. The append extends the new head even though the witness, which the caller resets
   * afterwards ({@link #resetWitness}), still contradicts it.
   *
   * @return the note's event and the head after it
   */
  AuditChain.Appended reseal(Handle h, AuditEntry note) throws SQLException {
    AuditKeys k = requireKeys();
    AuditHead found = head(h, true);
    LogSpan span =
        h.createQuery("SELECT MAX(seq), MIN(CASE WHEN key_version > 0 THEN seq END) FROM audit_log")
            .map(
                (rs, ctx) ->
                    rs.getObject(1) == null
                        ? new LogSpan(0, Long.MAX_VALUE)
                        : new LogSpan(
                            rs.getLong(1),
                            rs.getObject(2) == null ? Long.MAX_VALUE : rs.getLong(2)))
            .one();
    long end = span.end();
    String endHash = end > 0 ? hashAt(h, end) : AuditChain.GENESIS;
    long keyedFrom =
        Math.min(
            Math.min(end + 1, span.firstKeyed()),
            Math.min(found.sealed() ? found.keyedFrom() : Long.MAX_VALUE, witnessedKeyedFrom()));
    int v = k.currentVersion();
    writeHead(
        h,
        new AuditHead(
            end, endHash, keyedFrom, v, AuditChain.headMac(k, v, keyedFrom, end, endHash)));
    SecretCheckRows.insert(h, AuditKeys.SECRET, v, k.checkValue(v));
    Map<String, String> details = new TreeMap<>(note.details());
    details.put("found_head_seq", Long.toString(found.seq()));
    details.put("found_head_hash", found.hash());
    details.put("found_keyed_from", Long.toString(found.keyedFrom()));
    details.put("log_end_seq", Long.toString(end));
    details.put("keyed_from", Long.toString(keyedFrom));
    return append(
        h,
        new AuditEntry(
            note.at(),
            note.actor(),
            note.action(),
            note.targetId(),
            note.ownerId(),
            note.sourceIp(),
            details),
        false);
  }

  /** The log's last event and its first keyed one ({@link Long#MAX_VALUE} for none). */
  private record LogSpan(long end, long firstKeyed) {}

  /** Moves the head row to {@code head}. */
  private static void writeHead(Handle h, AuditHead head) {
    h.createUpdate(
            "UPDATE audit_head SET last_seq = :seq, last_hash = :hash, keyed_from = :keyed_from,"
                + " key_version = :key_version, mac = :mac WHERE id = 1")
        .bind("seq", head.seq())
        .bind("hash", head.hash())
        .bind("keyed_from", head.keyedFrom())
        .bind("key_version", head.keyVersion())
        .bind("mac", head.mac())
        .execute();
  }

  /** The stored hash of event {@code seq}, or {@code null} when there is no such event. */
  private static String hashAt(Handle h, long seq) {
    return h.createQuery("SELECT hash FROM audit_log WHERE seq = :seq")
        .bind("seq", seq)
        .mapTo(String.class)
        .findOne()
        .orElse(null);
  }

  /** Events matching {@code query}, newest first. */
  List<AuditEvent> events(Handle h, AuditQuery query) {
    Select select =
        new Select("SELECT " + Rows.AUDIT_COLUMNS + " FROM audit_log WHERE 1 = 1")
            .eq("target_id", query.targetId())
            .eq("owner_id", query.ownerId());
    if (query.beforeSeq() != null) {
      select.and("seq < :before").bind("before", query.beforeSeq());
    }
    select.append(" ORDER BY seq DESC LIMIT :limit").bind("limit", query.limit());
    return select.query(h).map(Rows.AUDIT).list();
  }

  /** At most {@code limit} events after {@code afterSeq}, oldest first. */
  List<AuditEvent> after(Handle h, long afterSeq, int limit) {
    return h.createQuery(
            "SELECT "
                + Rows.AUDIT_COLUMNS
                + " FROM audit_log WHERE seq > :after ORDER BY seq"
                + " LIMIT :limit")
        .bind("after", afterSeq)
        .bind("limit", limit)
        .map(Rows.AUDIT)
        .list();
  }

  /**
   * Refuses to extend {@code head} when this node's witness contradicts it (the head was moved back
   * over deleted events, an event was rewritten, the switch-over point moved): extending it would
   * bury the evidence.
   */
  private void requireWitnessAgrees(Handle h, AuditHead head) {
    if (witness == null) {
      return;
    }
    List<String> problems;
    try {
      problems = witness.problems(head, seq -> hashAt(h, seq));
    } catch (IllegalStateException | UncheckedIOException e) {
      throw new KeygateException.AuditIntegrity(
          "audit_witness_unreadable", e.getMessage() + "; nothing was changed");
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
   * The lowest switch-over point any evidence supports: the witness's, else the stored head's,
   * never above the log's end (a reseal must not pass keyed events off as unkeyed).
   */
  private long witnessedKeyedFrom() {
    if (witness == null) {
      return Long.MAX_VALUE;
    }
    try {
      return witness
          .read()
          .map(AuditWitness.Seen::keyedFrom)
          .filter(k -> k > 0)
          .orElse(Long.MAX_VALUE);
    } catch (IllegalStateException | UncheckedIOException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * Records a committed head in the witness file. A failure there is logged, not thrown: the change
   * is committed, and a witness that lags behind only narrows what it can catch.
   */
  void witness(AuditHead committed) {
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

  /** After a committed reseal, makes the witness accept {@code head} as it is. */
  void resetWitness(AuditHead head) {
    if (witness != null) {
      witness.reset(head);
    }
  }
}
