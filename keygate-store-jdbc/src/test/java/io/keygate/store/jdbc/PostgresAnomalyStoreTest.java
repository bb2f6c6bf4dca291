package io.keygate.store.jdbc;

import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.AnomalyStoreContractTest;
import io.keygate.core.store.KeyStore;
import org.junit.jupiter.api.AfterAll;

/** The {@link AnomalyStore} contract on PostgreSQL, one fresh schema per test. */
class PostgresAnomalyStoreTest extends AnomalyStoreContractTest {

  @Override
  protected KeyStore newKeyStore() {
    return TestStores.postgres(auditKeys);
  }

  @Override
  protected AnomalyStore openStore(KeyStore keys) {
    return JdbcExtensions.anomalyStore(keys).orElseThrow();
  }

  @AfterAll
  static void dropSchemas() {
    TestStores.dropSchemas();
  }
}
