package io.keygate.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.key.OwnerOnlyFiles;
import io.keygate.core.store.KeyStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Builds the JDBC {@link KeyStore}: SQLite in a data directory (the embedded default) or PostgreSQL
 * (production). The module's only public entry point.
 *
 * <pre>{@code
 * KeyStore store = JdbcStores.sqlite(Path.of("/var/lib/keygate")).build();
 * KeyStore store = JdbcStores.fromUrl("postgres://keygate@db:5432/keygate").poolSize(20).build();
 * }</pre>
 *
 * <p><b>Contract.</b> Options fail fast: a bad value throws {@link IllegalArgumentException}, an
 * option that conflicts with the database or with an earlier setting (including setting one twice)
 * throws {@link IllegalStateException}. {@link #build()} opens a connection pool, applies the
 * Flyway migrations (the same files for both databases) and logs the effective configuration with
 * passwords masked; if the database cannot be reached or migrated it throws {@link
 * KeygateException.StoreUnavailable} and leaves nothing open.
 *
 * <p><b>Stored data.</b> Instants are kept at millisecond precision; a record read back carries its
 * times truncated to milliseconds.
 *
 * <p><b>SQLite.</b> The database file is created owner-only (0600) in an owner-only directory
 * (0700) before SQLite opens it, so its journal and WAL files are owner-only too. WAL journal,
 * {@value #SQLITE_BUSY_TIMEOUT_MILLIS} ms busy timeout, foreign keys on and {@code BEGIN IMMEDIATE}
 * write transactions, so concurrent writers queue rather than fail. In-memory databases are
 * rejected: each pooled connection would see its own.
 *
 * <p><b>Thread-safety.</b> The builder is not thread-safe; configure it on one thread. The {@code
 * KeyStore} it builds is thread-safe.
 */
public final class JdbcStores {
  private static final Logger log = LoggerFactory.getLogger(JdbcStores.class);

  /** Name of the SQLite database file inside the data directory. */
  public static final String SQLITE_FILE_NAME = "keygate.db";

  /** Default pool size for SQLite: one writer at a time, a few concurrent readers. */
  public static final int DEFAULT_SQLITE_POOL_SIZE = 4;

  /** Default pool size for PostgreSQL. */
  public static final int DEFAULT_POSTGRES_POOL_SIZE = 10;

  /** Largest accepted pool size. */
  public static final int MAX_POOL_SIZE = 200;

  /** Default wait for a pooled connection before {@link KeygateException.StoreUnavailable}. */
  public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(30);

  /** How long a SQLite writer waits for another writer's lock before failing. */
  public static final int SQLITE_BUSY_TIMEOUT_MILLIS = 10_000;

  /** Flyway's history table, named so it cannot collide with another application's. */
  public static final String SCHEMA_HISTORY_TABLE = "keygate_schema_history";

  private static final String MIGRATIONS = "classpath:db/keygate/migration";
  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final Duration MIN_CONNECTION_TIMEOUT = Duration.ofMillis(250);
  private static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(5);

  private final DatabaseUrl url;
  private String schema;
  private int poolSize;
  private String user;
  private String password;
  private Duration connectionTimeout;
  private AuditKeys auditKeys;
  private AuditWitness auditWitness;

  private JdbcStores(DatabaseUrl url) {
    this.url = url;
    this.user = url.user();
    this.password = url.password();
  }

  /**
   * A SQLite store in file {@value #SQLITE_FILE_NAME} inside {@code dataDir}; {@link #build()}
   * creates the directory (0700) and the file (0600) if absent.
   */
  public static JdbcStores sqlite(Path dataDir) {
    Objects.requireNonNull(dataDir, "dataDir");
    Path file = dataDir.toAbsolutePath().resolve(SQLITE_FILE_NAME);
    return new JdbcStores(new DatabaseUrl(Dialect.SQLITE, "jdbc:sqlite:" + file, null, null));
  }

  /**
   * A store at a database URL: {@code jdbc:sqlite:<file>}, {@code jdbc:postgresql://…}, or the
   * {@code postgres://user:password@host:port/db} / {@code postgresql://…} form, which is converted
   * to JDBC with its credentials taken out of the URL.
   *
   * @throws IllegalArgumentException for another scheme, a malformed URL or in-memory SQLite
   */
  public static JdbcStores fromUrl(String jdbcUrl) {
    return new JdbcStores(DatabaseUrl.parse(jdbcUrl));
  }

  /**
   * PostgreSQL only: keep the tables in this schema (created if absent) instead of the connection's
   * default. Lower-case letters, digits and {@code _}, at most 63 characters.
   */
  public JdbcStores schema(String schema) {
    Objects.requireNonNull(schema, "schema");
    requirePostgres("schema");
    if (this.schema != null) {
      throw new IllegalStateException("schema was already set to " + this.schema);
    }
    if (!SCHEMA.matcher(schema).matches()) {
      throw new IllegalArgumentException(
          "schema must match [a-z_][a-z0-9_]{0,62}, was \"" + schema + "\"");
    }
    this.schema = schema;
    return this;
  }

  /**
   * Maximum pooled connections, 1..{@value #MAX_POOL_SIZE}. Defaults: {@value
   * #DEFAULT_SQLITE_POOL_SIZE} for SQLite, {@value #DEFAULT_POSTGRES_POOL_SIZE} for PostgreSQL.
   */
  public JdbcStores poolSize(int size) {
    if (poolSize != 0) {
      throw new IllegalStateException("poolSize was already set to " + poolSize);
    }
    if (size < 1 || size > MAX_POOL_SIZE) {
      throw new IllegalArgumentException("poolSize must be 1.." + MAX_POOL_SIZE + ", was " + size);
    }
    this.poolSize = size;
    return this;
  }

  /**
   * PostgreSQL only: log in as {@code user} with {@code password} (may be {@code null}). Conflicts
   * with credentials embedded in a {@code postgres://} URL.
   */
  public JdbcStores credentials(String user, String password) {
    Objects.requireNonNull(user, "user");
    requirePostgres("credentials");
    if (this.user != null) {
      throw new IllegalStateException("credentials were already set (user " + this.user + ")");
    }
    if (user.isBlank()) {
      throw new IllegalArgumentException("user must not be blank");
    }
    this.user = user;
    this.password = password;
    return this;
  }

  /**
   * How long a caller waits for a pooled connection before the store reports {@link
   * KeygateException.StoreUnavailable}; at least 250 ms. Default {@link
   * #DEFAULT_CONNECTION_TIMEOUT}.
   *
   * <p>This bounds how long a request waits while the database is gone: HikariCP's connection
   * timeout, and for PostgreSQL also the driver's {@code connectTimeout} and {@code loginTimeout}
   * (whole seconds, rounded up), so that opening a new connection to an unreachable host gives up
   * as soon. A query already running on a connection whose peer vanished without closing it is
   * bounded by the driver's {@code socketTimeout}, which Keygate leaves unset (it would also cut
   * long migrations); add {@code ?socketTimeout=N} to the URL to bound it.
   */
  public JdbcStores connectionTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (connectionTimeout != null) {
      throw new IllegalStateException("connectionTimeout was already set to " + connectionTimeout);
    }
    if (timeout.compareTo(MIN_CONNECTION_TIMEOUT) < 0) {
      throw new IllegalArgumentException(
          "connectionTimeout must be at least " + MIN_CONNECTION_TIMEOUT + ", was " + timeout);
    }
    this.connectionTimeout = timeout;
    return this;
  }

  /**
   * The audit key versions audit events are linked under (HMAC-SHA256; the highest links new
   * events, every one verifies). Required to append to the audit log: a store built without them
   * can read the log, but every change that writes an audit event fails. Keep them outside the
   * database, like the pepper.
   */
  public JdbcStores auditKeys(AuditKeys keys) {
    Objects.requireNonNull(keys, "keys");
    if (auditKeys != null) {
      throw new IllegalStateException("auditKeys were already set");
    }
    this.auditKeys = keys;
    return this;
  }

  /**
   * Where each committed audit head is recorded outside the database (see {@link AuditWitness}).
   * Optional; without it, a database writer who kept an older sealed head can move the head back
   * over deleted events undetected.
   */
  public JdbcStores auditWitness(AuditWitness witness) {
    Objects.requireNonNull(witness, "witness");
    if (auditWitness != null) {
      throw new IllegalStateException("auditWitness was already set to " + auditWitness.file());
    }
    this.auditWitness = witness;
    return this;
  }

  /**
   * Opens the pool, migrates the schema and returns the store. May be called again for another,
   * independent store with the same settings.
   *
   * @throws KeygateException.StoreUnavailable if the database cannot be opened or migrated
   */
  public KeyStore build() {
    Dialect dialect = url.dialect();
    int size = poolSize != 0 ? poolSize : defaultPoolSize(dialect);
    Duration timeout = connectionTimeout != null ? connectionTimeout : DEFAULT_CONNECTION_TIMEOUT;
    log.info(
        "Opening Keygate store: {} {}{} (pool size {}, connection timeout {})",
        dialect.label(),
        url.describe(),
        schema == null ? "" : " schema " + schema,
        size,
        timeout);
    if (dialect == Dialect.SQLITE) {
      prepareSqliteFiles(url.jdbcUrl());
    }
    HikariConfig config = new HikariConfig();
    config.setPoolName("keygate-" + dialect.label());
    config.setMaximumPoolSize(size);
    config.setConnectionTimeout(timeout.toMillis());
    if (dialect == Dialect.SQLITE) {
      config.setDataSource(sqliteDataSource(url.jdbcUrl()));
    } else {
      config.setJdbcUrl(url.jdbcUrl());
      config.setUsername(user);
      config.setPassword(password);
      config.setSchema(schema);
      String seconds = Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
      config.addDataSourceProperty("connectTimeout", seconds);
      config.addDataSourceProperty("loginTimeout", seconds);
    }
    config.setValidationTimeout(Math.min(VALIDATION_TIMEOUT.toMillis(), timeout.toMillis()));
    HikariDataSource dataSource;
    try {
      dataSource = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new KeygateException.StoreUnavailable(
          "cannot open Keygate store at " + url.describe() + ": " + rootMessage(e), e);
    }
    try {
      migrate(dataSource);
    } catch (FlywayException e) {
      dataSource.close();
      throw new KeygateException.StoreUnavailable(
          "migrating Keygate store at "
              + url.describe()
              + (schema == null ? "" : " schema " + schema)
              + " failed: "
              + e.getMessage(),
          e);
    }
    return new JdbcKeyStore(dataSource, dialect, auditKeys, auditWitness);
  }

  private void migrate(HikariDataSource dataSource) {
    FluentConfiguration flyway =
        Flyway.configure(JdbcStores.class.getClassLoader())
            .dataSource(dataSource)
            .locations(MIGRATIONS)
            .table(SCHEMA_HISTORY_TABLE)
            .failOnMissingLocations(true);
    if (schema != null) {
      flyway.schemas(schema).defaultSchema(schema);
    }
    flyway.load().migrate();
  }

  private static SQLiteDataSource sqliteDataSource(String jdbcUrl) {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setBusyTimeout(SQLITE_BUSY_TIMEOUT_MILLIS);
    config.enforceForeignKeys(true);
    config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    SQLiteDataSource ds = new SQLiteDataSource(config);
    ds.setUrl(jdbcUrl);
    return ds;
  }

  /**
   * Creates the database's directory (0700) and the database file (0600) before SQLite opens it, so
   * that its journal, {@code -wal} and {@code -shm} files, which SQLite creates with the database
   * file's mode, are owner-only too; tightens those files where an older version left them readable
   * by others, and warns about an existing directory that others may enter.
   */
  private static void prepareSqliteFiles(String jdbcUrl) {
    String path = jdbcUrl.substring("jdbc:sqlite:".length());
    int query = path.indexOf('?');
    path = query < 0 ? path : path.substring(0, query);
    Path file =
        (path.startsWith("file:/")
                ? Path.of(URI.create(path))
                : Path.of(path.startsWith("file:") ? path.substring(5) : path))
            .toAbsolutePath();
    Path dir = file.getParent();
    try {
      if (Files.exists(dir) && !Files.isDirectory(dir)) {
        throw new IllegalArgumentException("data directory " + dir + " is not a directory");
      }
      if (Files.exists(dir) && OwnerOnlyFiles.isShared(dir)) {
        log.warn("data directory {} is accessible by group or others; run: chmod 700 {}", dir, dir);
      }
      OwnerOnlyFiles.createFile(file);
      for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
        Path f = Path.of(file + suffix);
        if (OwnerOnlyFiles.restrict(f)) {
          log.info("made {} owner-only (0600)", f);
        }
      }
    } catch (IOException e) {
      throw new KeygateException.StoreUnavailable(
          "cannot prepare the SQLite database " + file + ": " + e, e);
    }
  }

  private static int defaultPoolSize(Dialect dialect) {
    return dialect == Dialect.SQLITE ? DEFAULT_SQLITE_POOL_SIZE : DEFAULT_POSTGRES_POOL_SIZE;
  }

  private void requirePostgres(String option) {
    if (url.dialect() != Dialect.POSTGRESQL) {
      throw new IllegalStateException(option + " applies to PostgreSQL only, not SQLite");
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root + ")";
  }
}
