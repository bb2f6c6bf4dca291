package io.keygate.store.jdbc;

import io.keygate.core.audit.AuditKeys;
import io.keygate.core.store.KeyStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Fresh, empty stores for the contract tests: SQLite in a new data directory, PostgreSQL in a new
 * schema ({@link TestPostgres}) that {@link #dropSchemas()} removes.
 */
final class TestStores {
  private static final List<String> SCHEMAS = new CopyOnWriteArrayList<>();

  private TestStores() {}

  /** A SQLite store in a new directory under {@code parent}. */
  static KeyStore sqlite(Path parent, AuditKeys auditKeys) {
    try {
      return JdbcStores.sqlite(Files.createTempDirectory(parent, "data"))
          .auditKeys(auditKeys)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A PostgreSQL store in a new schema. */
  static KeyStore postgres(AuditKeys auditKeys) {
    TestPostgres pg = TestPostgres.get();
    String schema = pg.newSchema();
    SCHEMAS.add(schema);
    return pg.builder(schema).auditKeys(auditKeys).build();
  }

  /** Drops the schemas {@link #postgres} made. */
  static void dropSchemas() {
    SCHEMAS.forEach(TestPostgres.get()::dropSchema);
    SCHEMAS.clear();
  }
}
