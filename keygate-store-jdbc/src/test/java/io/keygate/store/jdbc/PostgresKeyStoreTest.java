package io.keygate.store.jdbc;

import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreContractTest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;

/**
 * The store contract on PostgreSQL ({@link TestPostgres} picks the server), one fresh schema per
 * test, all dropped after the class.
 */
class PostgresKeyStoreTest extends KeyStoreContractTest {
  private static final List<String> SCHEMAS = new CopyOnWriteArrayList<>();

  @Override
  protected KeyStore newStore() {
    TestPostgres pg = TestPostgres.get();
    String schema = pg.newSchema();
    SCHEMAS.add(schema);
    return pg.builder(schema).auditKeys(auditKeys).build();
  }

  @AfterAll
  static void dropSchemas() {
    SCHEMAS.forEach(TestPostgres.get()::dropSchema);
    SCHEMAS.clear();
  }
}
