package io.keygate.store.jdbc;

import io.keygate.core.notify.NotifyStore;
import io.keygate.core.notify.NotifyStoreContractTest;
import io.keygate.core.store.KeyStore;
import org.junit.jupiter.api.AfterAll;

/** The {@link NotifyStore} contract on PostgreSQL, one fresh schema per test. */
class PostgresNotifyStoreTest extends NotifyStoreContractTest {

  @Override
  protected KeyStore newKeyStore() {
    return TestStores.postgres(auditKeys);
  }

  @Override
  protected NotifyStore openStore(KeyStore keys) {
    return JdbcExtensions.notifyStore(keys).orElseThrow();
  }

  @AfterAll
  static void dropSchemas() {
    TestStores.dropSchemas();
  }
}
