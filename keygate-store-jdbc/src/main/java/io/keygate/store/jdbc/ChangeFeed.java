package io.keygate.store.jdbc;

import io.keygate.core.KeygateException;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.Verifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database's change feed: how a key change made on one node reaches every other node's
 * verification cache without Redis.
 *
 * <pre>{@code
 * ChangeFeed feed = ChangeFeed.of(store).orElseThrow();
 * ChangeFeed.Follower follower = feed.follow(verifier);
 * scheduler.scheduleWithFixedDelay(follower::poll, 250, 250, MILLISECONDS);
 * }</pre>
 *
 * <p><b>Design.</b> Every store transaction that changes a key ({@link
 * io.keygate.core.store.KeyStoreTx#updateKey}: revocation, disable, enable, rotation deadline,
 * settings) or imports keys appends one row per changed key to {@code key_changes} in the same
 * transaction, just before it commits: the change and its announcement commit together or not at
 * all. Sequence numbers come from the single row of {@code key_changes_head}, updated under a row
 * lock that is the last lock such a transaction takes and is held until it commits; so numbers are
 * dense (a rollback gives its numbers back) and become visible in order, and no lock order can
 * deadlock with the audit head or key rows. A {@link Follower} reads the head (one row by primary
 * key: the whole cost of an idle poll) and, when it moved, the rows in between, and applies them to
 * its verifier: {@code revoked} marks a cached copy revoked ({@link Verifier#revokedLocal}), {@code
 * changed} drops it ({@link Verifier#invalidateLocal}), {@code imported} re-reads the imported
 * prefixes. Rows this store instance wrote are skipped: the node that made a change drops its own
 * entry before acknowledging it. Rows are pruned after a retention ({@link #prune}); a follower
 * that finds rows missing (it fell behind the retention, or the database was restored) drops its
 * whole cache instead of missing a change.
 *
 * <p>The same on SQLite (where the single writer already orders transactions) and PostgreSQL.
 *
 * <p><b>Security guarantees.</b> Rows hold stored keyed hashes, never raw keys. A change is either
 * applied by every following node or, if it was pruned before a node read it, that node's whole
 * cache is dropped: a follower never silently skips a change. Thread-safe.
 */
public final class ChangeFeed {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);

  /** PostgreSQL notification channel a transaction that appended rows notifies on commit. */
  static final String CHANNEL = "keygate_key_changes";

  /** Most rows a follower reads per query. */
  static final int BATCH = 500;

  /** What a row announces. */
  public enum Kind {
    /** The key changed: drop the cached copy. */
    CHANGED("changed"),
    /** The key was revoked: mark the cached copy revoked. */
    REVOKED("revoked"),
    /** Keys were imported: re-read the imported prefixes ({@link Change#keyHash} is null). */
    IMPORTED("imported"),
    /**
     * A kind this version does not know (written by a newer node): a follower drops its whole cache
     * rather than guess.
     */
    OTHER("");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    static Kind parse(String s) {
      for (Kind k : values()) {
        if (k != OTHER && k.label.equals(s)) {
          return k;
        }
      }
      return OTHER;
    }
  }

  /**
   * One row of the feed.
   *
   * @param seq its sequence number (dense, from 1)
   * @param kind what changed
   * @param keyHash the stored keyed hash of the changed key, or {@code null} for {@link
   *     Kind#IMPORTED}
   * @param revokedAt for {@link Kind#REVOKED}, when the key was revoked, else {@code null}
   * @param at when the change was made
   * @param local whether this store instance wrote it
   */
  public record Change(
      long seq, Kind kind, String keyHash, Instant revokedAt, Instant at, boolean local) {}

  private final JdbcKeyStore store;

  private ChangeFeed(JdbcKeyStore store) {
    this.store = store;
  }

  /** The feed of {@code store}'s database, or empty when {@code store} is not a JDBC store. */
  public static Optional<ChangeFeed> of(KeyStore store) {
    return store instanceof JdbcKeyStore j ? Optional.of(new ChangeFeed(j)) : Optional.empty();
  }

  /**
   * The newest sequence number committed (0 for none).
   *
   * @throws io.keygate.core.KeygateException.StoreUnavailable when the database cannot be reached
   */
  public long head() {
    return store.query("key change head", ChangeFeed::head);
  }

  /**
   * Rows with {@code afterSeq < seq <= upToSeq}, oldest first, at most {@value #BATCH}.
   *
   * @throws io.keygate.core.KeygateException.StoreUnavailable when the database cannot be reached
   */
  public List<Change> between(long afterSeq, long upToSeq) {
    return store.query(
        "key changes",
        h ->
            h.createQuery(
                    "SELECT seq, kind, key_hash, revoked_at, at, origin FROM key_changes"
                        + " WHERE seq > :after AND seq <= :upTo ORDER BY seq LIMIT "
                        + BATCH)
                .bind("after", afterSeq)
                .bind("upTo", upToSeq)
                .map(
                    (rs, ctx) ->
                        new Change(
                            rs.getLong("seq"),
                            Kind.parse(rs.getString("kind")),
                            rs.getString("key_hash"),
                            Rows.instant(rs, "revoked_at"),
                            Instant.ofEpochMilli(rs.getLong("at")),
                            store.origin().equals(rs.getString("origin"))))
                .list());
  }

  /**
   * Deletes rows made before {@code before}; returns how many. Run it on one node at a time (a job
   * lease), with a retention far longer than a follower's poll interval.
   *
   * @throws io.keygate.core.KeygateException.StoreUnavailable when the database cannot be reached
   */
  public int prune(Instant before) {
    Objects.requireNonNull(before, "before");
    return store.update(
        "prune key changes",
        h ->
            h.createUpdate("DELETE FROM key_changes WHERE at < :before")
                .bind("before", before.toEpochMilli())
                .execute());
  }

  /**
   * A follower that applies the changes committed from now on to {@code verifier}.
   *
   * @throws io.keygate.core.KeygateException.StoreUnavailable when the database cannot be reached
   */
  public Follower follow(Verifier verifier) {
    return new Follower(this, Objects.requireNonNull(verifier, "verifier"), head());
  }

  /**
   * Something to wait on between polls: on PostgreSQL (unless {@code listen} is false) a {@code
   * LISTEN} on a connection of its own, outside the pool, so that a poll follows a commit anywhere
   * in the cluster at once; otherwise, or while that connection fails, a plain sleep.
   */
  public Waiter waiter(boolean listen) {
    return new Waiter(listen && store.dialect() == Dialect.POSTGRESQL);
  }

  /**
   * Waits for the next poll ({@link #await}); confined to one thread (the follower's). Holds one
   * database connection while listening; {@link #close} closes it. That connection is the one place
   * of this module left on plain JDBC: waiting for a notification is the PostgreSQL driver's {@link
   * PGConnection#getNotifications(int)}, which Jdbi does not wrap; every statement of the feed runs
   * through Jdbi.
   */
  public final class Waiter implements AutoCloseable {
    private final boolean listen;
    private Connection listening;
    private boolean warned;

    private Waiter(boolean listen) {
      this.listen = listen;
    }

    /**
     * Returns when another transaction committed a change (PostgreSQL, listening) or after {@code
     * max}, whichever comes first. Never throws for a database fault: it falls back to sleeping and
     * tries to listen again on the next call.
     *
     * @throws InterruptedException when the thread is interrupted
     */
    public void await(Duration max) throws InterruptedException {
      int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, max.toMillis()));
      if (!listen) {
        Thread.sleep(millis);
        return;
      }
      try {
        if (listening == null) {
          listening = store.listen(CHANNEL);
          warned = false;
        }
        listening.unwrap(PGConnection.class).getNotifications(millis);
      } catch (SQLException | RuntimeException e) {
        if (!warned) {
          LOG.warn(
              "listening for key changes failed, polling only until it works again: {}",
              e.getMessage());
          warned = true;
        }
        close();
        Thread.sleep(millis);
      }
    }

    /** Whether a {@code LISTEN} connection is open now. */
    public boolean listening() {
      return listening != null;
    }

    @Override
    public void close() {
      if (listening != null) {
        try {
          listening.close();
        } catch (SQLException e) {
          // broken already; nothing to give back
        }
        listening = null;
      }
    }
  }

  /**
   * Applies the feed to one verifier. {@link #poll} is meant to run on a schedule (every few
   * hundred milliseconds); it is synchronized, so overlapping calls apply each row once.
   */
  public static final class Follower {
    private final ChangeFeed feed;
    private final Verifier verifier;
    private long last;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong cacheDrops = new AtomicLong();

    private Follower(ChangeFeed feed, Verifier verifier, long start) {
      this.feed = feed;
      this.verifier = verifier;
      this.last = start;
    }

    /**
     * Reads the head and applies every row committed since the last poll; returns how many rows
     * were applied. If rows are missing (pruned before this follower read them) or the head went
     * back (a restored database), drops the verifier's whole cache and carries on from the head.
     *
     * @throws io.keygate.core.KeygateException.StoreUnavailable when the database cannot be
     *     reached; nothing is lost, the next poll reads from the same point
     */
    public synchronized int poll() {
      long head = feed.head();
      if (head == last) {
        return 0;
      }
      if (head < last) {
        dropAll();
        last = head;
        return 0;
      }
      int n = 0;
      while (last < head) {
        List<Change> batch = feed.between(last, head);
        if (batch.isEmpty() || batch.get(0).seq() != last + 1) {
          dropAll(); // rows up to the first one read (or the head) were pruned
          last = batch.isEmpty() ? head : batch.get(0).seq() - 1;
          continue;
        }
        for (Change c : batch) {
          if (c.seq() != last + 1) {
            dropAll();
          }
          if (!c.local()) {
            apply(c);
            n++;
          }
          last = c.seq();
        }
      }
      applied.addAndGet(n);
      return n;
    }

    /**
     * Applies one row. A row that cannot be applied as written (an unknown kind, a missing hash or
     * time, a fault other than the store's while applying it) drops the whole cache instead, so
     * that no row can wedge the follower or be skipped.
     */
    private void apply(Change c) {
      try {
        switch (c.kind()) {
          case REVOKED -> {
            if (c.keyHash() == null) {
              dropAll();
            } else if (c.revokedAt() == null) {
              verifier.invalidateLocal(c.keyHash());
            } else {
              verifier.revokedLocal(c.keyHash(), c.revokedAt());
            }
          }
          case CHANGED -> {
            if (c.keyHash() == null) {
              dropAll();
            } else {
              verifier.invalidateLocal(c.keyHash());
            }
          }
          case IMPORTED -> verifier.legacyKeys().refresh();
          case OTHER -> dropAll();
        }
      } catch (KeygateException.StoreUnavailable e) {
        throw e; // the row is applied again by the next poll
      } catch (RuntimeException e) {
        verifier.invalidateAll();
        cacheDrops.incrementAndGet();
      }
    }

    private void dropAll() {
      verifier.invalidateAll();
      verifier.legacyKeys().refresh();
      cacheDrops.incrementAndGet();
    }

    /** The sequence number applied last. */
    public synchronized long position() {
      return last;
    }

    /** Rows from other nodes applied so far. */
    public long applied() {
      return applied.get();
    }

    /** How often the whole cache was dropped because rows were missing. */
    public long cacheDrops() {
      return cacheDrops.get();
    }
  }

  /**
   * The changes one transaction made, appended to the feed just before it commits. Confined to the
   * transaction's thread.
   */
  static final class Pending {
    private record Row(Kind kind, String keyHash, Instant revokedAt, Instant at) {}

    private final Map<String, Row> byHash = new LinkedHashMap<>();
    private Instant imported;

    /** {@code key} as now stored changed (a revoked one announces its revocation). */
    void keyChanged(ApiKeyRecord key) {
      boolean revoked = key.status() == KeyStatus.REVOKED && key.revokedAt() != null;
      byHash.put(
          key.hash(),
          new Row(
              revoked ? Kind.REVOKED : Kind.CHANGED,
              key.hash(),
              revoked ? key.revokedAt() : null,
              key.updatedAt()));
    }

    /** Keys were imported at {@code at}. */
    void imported(Instant at) {
      imported = imported == null || at.isAfter(imported) ? at : imported;
    }

    boolean isEmpty() {
      return byHash.isEmpty() && imported == null;
    }

    private List<Row> rows() {
      List<Row> rows = new ArrayList<>(byHash.values());
      if (imported != null) {
        rows.add(new Row(Kind.IMPORTED, null, null, imported));
      }
      return rows;
    }
  }

  /**
   * Appends {@code pending} to the feed on the transaction's handle {@code h}, numbered after the
   * head, which stays locked until the transaction ends. Call last before committing.
   */
  static void append(Handle h, Dialect dialect, Pending pending, String origin) {
    if (pending.isEmpty()) {
      return;
    }
    if (dialect == Dialect.POSTGRESQL) {
      // delivered when (and only if) the transaction commits
      h.createQuery("SELECT pg_notify(:channel, '')").bind("channel", CHANNEL).mapToMap().one();
    }
    List<Pending.Row> rows = pending.rows();
    h.createUpdate("UPDATE key_changes_head SET last_seq = last_seq + :n WHERE id = 1")
        .bind("n", rows.size())
        .execute();
    long seq = head(h) - rows.size();
    PreparedBatch batch =
        h.prepareBatch(
            "INSERT INTO key_changes (seq, kind, key_hash, revoked_at, at, origin)"
                + " VALUES (:seq, :kind, :key_hash, :revoked_at, :at, :origin)");
    for (Pending.Row r : rows) {
      batch
          .bind("seq", ++seq)
          .bind("kind", r.kind().label)
          .bind("key_hash", r.keyHash())
          .bind("revoked_at", Rows.millis(r.revokedAt()))
          .bind("at", r.at().toEpochMilli())
          .bind("origin", origin)
          .add();
    }
    batch.execute();
  }

  private static long head(Handle h) {
    return h.createQuery("SELECT last_seq FROM key_changes_head WHERE id = 1")
        .mapTo(long.class)
        .findOne()
        .orElse(0L);
  }
}
