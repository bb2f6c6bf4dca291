package io.keygate.store.jdbc;

import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.monitor.MonitorStoreContractTest;
import io.keygate.core.store.KeyStore;
import org.junit.jupiter.api.AfterAll;

/** The {@link MonitorStore} contract on PostgreSQL, one fresh schema per test. */
class PostgresMonitorStoreTest extends MonitorStoreContractTest {

  @Override
  protected KeyStore newKeyStore() {
    return TestStores.postgres(auditKeys);
  }

  @Override
  protected MonitorStore openStore(KeyStore keys) {
    return JdbcExtensions.monitorStore(keys).orElseThrow();
  }

  @AfterAll
  static void dropSchemas() {
    TestStores.dropSchemas();
  }
}
