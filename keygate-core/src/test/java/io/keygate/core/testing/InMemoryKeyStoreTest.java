package io.keygate.core.testing;

import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreContractTest;

/** The in-memory test store passes the same contract as the real stores. */
class InMemoryKeyStoreTest extends KeyStoreContractTest {
  @Override
  protected KeyStore newStore() {
    return new InMemoryKeyStore(auditKeys);
  }
}
