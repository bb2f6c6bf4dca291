package io.keygate.store.jdbc;

import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.AnomalyStoreContractTest;
import io.keygate.core.store.KeyStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The {@link AnomalyStore} contract on SQLite, one fresh data directory per test. */
class SqliteAnomalyStoreTest extends AnomalyStoreContractTest {
  @TempDir Path tmp;

  @Override
  protected KeyStore newKeyStore() {
    return TestStores.sqlite(tmp, auditKeys);
  }

  @Override
  protected AnomalyStore openStore(KeyStore keys) {
    return JdbcExtensions.anomalyStore(keys).orElseThrow();
  }
}
