package io.keygate.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.keygate.core.KeygateException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool and the two ways every store of this package reaches it: {@link #query} on a handle in
 * auto-commit mode, and {@link #inTransaction} on a handle whose transaction this class begins and
 * ends itself (see {@link Dialect} for how each database does it; Jdbi never starts or force-ends
 * one). Infrastructure failures surface as {@link KeygateException.StoreUnavailable} whose message
 * names the pool, the operation and the pool's state, in the manner of HikariCP's own timeout
 * message, and whose cause is the driver's {@link SQLException}. Thread-safe.
 */
final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final HikariDataSource dataSource;
  private final Jdbi jdbi;
  private final Dialect dialect;
  private final String name;

  Database(HikariDataSource dataSource, Dialect dialect) {
    this.dataSource = dataSource;
    this.jdbi = Jdbi.create(dataSource);
    // Transactions are begun and ended here (see Dialect), never by Jdbi.
    jdbi.getConfig(Handles.class).setForceEndTransactions(false);
    this.dialect = dialect;
    this.name = dataSource.getPoolName();
  }

  Dialect dialect() {
    return dialect;
  }

  /** The pool's name, e.g. {@code keygate-postgresql}. */
  String name() {
    return name;
  }

  /**
   * Runs {@code work} on a Jdbi handle over a pooled connection in auto-commit mode; SQL and Jdbi
   * faults become {@link KeygateException.StoreUnavailable}.
   */
  <T> T query(String operation, HandleCallback<T, SQLException> work) {
    Handle h = open(operation);
    try {
      return work.withHandle(h);
    } catch (SQLException | JdbiException e) {
      throw unavailable(operation, e);
    } finally {
      release(h);
    }
  }

  /**
   * Runs {@code work} in one write transaction on a handle of its own and commits it; rolls back
   * when {@code work} throws. SQL and Jdbi faults met beginning, committing or in {@code work}
   * become {@link KeygateException.StoreUnavailable} naming {@code inTransaction (begin)} or {@code
   * inTransaction (commit)}; anything else {@code work} throws propagates as it is.
   */
  <T> T inTransaction(HandleCallback<T, SQLException> work) {
    Handle h = open("inTransaction");
    Connection c = h.getConnection();
    boolean begun = false;
    try {
      dialect.begin(c);
      begun = true;
      T result = work.withHandle(h);
      dialect.commit(c);
      return result;
    } catch (SQLException | JdbiException e) {
      String operation = begun ? "inTransaction (commit)" : "inTransaction (begin)";
      KeygateException.StoreUnavailable failure = unavailable(operation, e);
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
      release(h);
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

  private Handle open(String operation) {
    try {
      return jdbi.open();
    } catch (JdbiException e) {
      throw unavailable(operation + " (getting a connection)", e);
    }
  }

  private void release(Handle h) {
    try {
      h.close();
    } catch (JdbiException e) {
      log.warn("{} - returning a connection to the pool failed", name, e);
    }
  }

  /**
   * A connection of its own, outside the pool (so that listening never takes one from requests),
   * with the pool's URL, credentials and timeouts, listening on PostgreSQL channel {@code channel};
   * the caller holds it and closes it. Plain JDBC on purpose: the caller waits on it through the
   * driver's {@link org.postgresql.PGConnection#getNotifications(int)}, which Jdbi does not wrap.
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

  /**
   * A store fault naming the pool, the operation and the pool's state, keeping the cause, e.g.
   * {@code keygate-postgresql - findByHash failed: Connection refused (pool total=0, active=0,
   * idle=0, waiting=0)}. For a fault Jdbi reports, the underlying {@link SQLException} is message
   * and cause when there is one, as for faults met without Jdbi.
   */
  KeygateException.StoreUnavailable unavailable(String operation, Exception e) {
    Exception cause =
        e instanceof JdbiException && e.getCause() instanceof SQLException sql ? sql : e;
    return new KeygateException.StoreUnavailable(
        name + " - " + operation + " failed: " + cause.getMessage() + " (" + poolState() + ")",
        cause);
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

  @Override
  public void close() {
    dataSource.close();
  }
}
