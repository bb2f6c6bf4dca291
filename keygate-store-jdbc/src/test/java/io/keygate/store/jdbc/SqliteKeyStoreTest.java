package io.keygate.store.jdbc;

import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreContractTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on SQLite, one fresh data directory per test. */
class SqliteKeyStoreTest extends KeyStoreContractTest {
  @TempDir Path tmp;

  @Override
  protected KeyStore newStore() {
    try {
      return JdbcStores.sqlite(Files.createTempDirectory(tmp, "data")).auditKeys(auditKeys).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
