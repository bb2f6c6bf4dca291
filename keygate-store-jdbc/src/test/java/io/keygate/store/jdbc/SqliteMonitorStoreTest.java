package io.keygate.store.jdbc;

import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.monitor.MonitorStoreContractTest;
import io.keygate.core.store.KeyStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The {@link MonitorStore} contract on SQLite, one fresh data directory per test. */
class SqliteMonitorStoreTest extends MonitorStoreContractTest {
  @TempDir Path tmp;

  @Override
  protected KeyStore newKeyStore() {
    return TestStores.sqlite(tmp, auditKeys);
  }

  @Override
  protected MonitorStore openStore(KeyStore keys) {
    return JdbcExtensions.monitorStore(keys).orElseThrow();
  }
}
