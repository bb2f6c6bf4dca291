package io.keygate.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The databases this module speaks, and the little that differs between them.
 *
 * <p>Design note: the schema and nearly every statement are shared. Two things differ. Row locking:
 * SQLite does not parse {@code FOR UPDATE} and does not need it, because every transaction starts
 * with {@code BEGIN IMMEDIATE} and so already holds the database's single write lock. Transaction
 * control: sqlite-jdbc's {@link Connection#commit()} immediately starts the next transaction in the
 * configured mode, so with {@code IMMEDIATE} a committed call could still wait for — and time out
 * on — another writer's lock after its data was durable. SQLite transactions are therefore driven
 * with plain {@code BEGIN IMMEDIATE}/{@code COMMIT}/{@code ROLLBACK} statements on a connection
 * left in auto-commit mode; PostgreSQL uses the JDBC API.
 */
enum Dialect {
  SQLITE("sqlite", "") {
    @Override
    void begin(Connection c) throws SQLException {
      exec(c, "BEGIN IMMEDIATE");
    }

    @Override
    void commit(Connection c) throws SQLException {
      exec(c, "COMMIT");
    }

    @Override
    void rollback(Connection c) throws SQLException {
      exec(c, "ROLLBACK");
    }
  },

  POSTGRESQL("postgresql", " FOR UPDATE") {
    @Override
    void begin(Connection c) throws SQLException {
      c.setAutoCommit(false);
    }

    @Override
    void commit(Connection c) throws SQLException {
      c.commit();
    }

    @Override
    void rollback(Connection c) throws SQLException {
      c.rollback();
    }
  };

  private final String label;
  private final String forUpdate;

  Dialect(String label, String forUpdate) {
    this.label = label;
    this.forUpdate = forUpdate;
  }

  /** Lower-case name used in pool names and messages. */
  String label() {
    return label;
  }

  /** Suffix that turns a {@code SELECT} into a row-locking read, or an empty string. */
  String forUpdate() {
    return forUpdate;
  }

  /** Starts a write transaction on {@code c}. */
  abstract void begin(Connection c) throws SQLException;

  /** Commits the transaction started by {@link #begin}. */
  abstract void commit(Connection c) throws SQLException;

  /** Rolls back the transaction started by {@link #begin}. */
  abstract void rollback(Connection c) throws SQLException;

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
