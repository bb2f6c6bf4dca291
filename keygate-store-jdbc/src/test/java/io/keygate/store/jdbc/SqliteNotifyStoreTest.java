package io.keygate.store.jdbc;

import io.keygate.core.notify.NotifyStore;
import io.keygate.core.notify.NotifyStoreContractTest;
import io.keygate.core.store.KeyStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The {@link NotifyStore} contract on SQLite, one fresh data directory per test. */
class SqliteNotifyStoreTest extends NotifyStoreContractTest {
  @TempDir Path tmp;

  @Override
  protected KeyStore newKeyStore() {
    return TestStores.sqlite(tmp, auditKeys);
  }

  @Override
  protected NotifyStore openStore(KeyStore keys) {
    return JdbcExtensions.notifyStore(keys).orElseThrow();
  }
}
