package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.testing.TestAuditKeys;
import io.keygate.core.testing.TestKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Units of work that fail, on both databases and a pool of two connections with a short connection
 * timeout: each failure rolls back everything it did (the key change and its audit row together)
 * and gives its connection back, so that after many of them the pool still serves and the audit
 * chain goes on at the next number.
 */
class FailedTransactionsTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final int FAILURES = 200;

  @TempDir Path tmp;

  private final AuditKeys keys = TestAuditKeys.random();
  private String schema;
  private JdbcKeyStore store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
    if (schema != null) {
      TestPostgres.get().dropSchema(schema);
    }
  }

  private JdbcKeyStore open(String db) {
    JdbcStores b;
    if (db.equals("sqlite")) {
      b = JdbcStores.sqlite(tmp.resolve("data"));
    } else {
      schema = TestPostgres.get().newSchema();
      b = TestPostgres.get().builder(schema);
    }
    store =
        (JdbcKeyStore)
            b.auditKeys(keys).poolSize(2).connectionTimeout(Duration.ofMillis(500)).build();
    return store;
  }

  private static AuditEntry entry(String keyId) {
    return new AuditEntry(NOW, "key_admin", "key.created", keyId, "owner", null, Map.of());
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void twoHundredFailedTransactions_rollBackEverything_andLeaveThePoolServing(String db) {
    JdbcKeyStore s = open(db);
    ApiKeyRecord kept = TestKeys.key("key_kept", NOW, f -> {});
    s.inTransaction(
        tx -> {
          tx.insertKey(kept);
          return tx.appendAudit(entry(kept.keyId()));
        });

    for (int i = 0; i < FAILURES; i++) {
      ApiKeyRecord k = TestKeys.key("key_failed_" + i, NOW, f -> {});
      switch (i % 5) {
        case 0 -> // the work throws after the key change and its audit row
            assertThatThrownBy(
                    () ->
                        s.inTransaction(
                            tx -> {
                              tx.insertKey(k);
                              tx.appendAudit(entry(k.keyId()));
                              throw new IllegalStateException("boom");
                            }))
                .hasMessage("boom");
        case 1 -> // a unique violation after the audit row (PostgreSQL aborts the transaction)
            assertThatThrownBy(
                    () ->
                        s.inTransaction(
                            tx -> {
                              tx.insertKey(k);
                              tx.appendAudit(entry(k.keyId()));
                              tx.insertKey(TestKeys.key(kept.keyId(), NOW, f -> {}));
                              return null;
                            }))
                .isInstanceOf(KeygateException.Conflict.class);
        case 2 -> // a SQL fault after the audit row
            assertThatThrownBy(
                    () ->
                        s.transact(
                            tx -> {
                              tx.insertKey(k);
                              tx.appendAudit(entry(k.keyId()));
                              return tx.handle(
                                  "broken", h -> h.execute("UPDATE no_such_table SET x = 1"));
                            }))
                .isInstanceOf(KeygateException.StoreUnavailable.class);
        case 3 -> // a SQL fault in auto-commit mode
            assertThatThrownBy(
                    () -> s.query("broken", h -> h.execute("SELECT x FROM no_such_table")))
                .isInstanceOf(KeygateException.StoreUnavailable.class);
        default -> // the audit entry cannot be built after the key change (no actor)
            assertThatThrownBy(
                    () ->
                        s.inTransaction(
                            tx -> {
                              tx.insertKey(k);
                              return tx.appendAudit(
                                  new AuditEntry(
                                      NOW, null, "key.created", k.keyId(), "owner", null, null));
                            }))
                .isInstanceOf(NullPointerException.class);
      }
    }

    // Both connections serve at once (a leaked one would time out after 500 ms), and nothing
    // of the failed units of work is left.
    s.inTransaction(
        tx -> {
          assertThat(s.findById(kept.keyId())).contains(kept);
          return null;
        });
    Instant later = NOW.plusSeconds(1);
    List<ApiKeyRecord> all =
        s.list(new KeyQuery(null, null, null, KeyQuery.MAX_LIMIT, null), later).items();
    assertThat(all).extracting(ApiKeyRecord::keyId).containsExactly(kept.keyId());
    ApiKeyRecord next = TestKeys.key("key_next", NOW, f -> {});
    AuditEvent appended =
        s.inTransaction(
            tx -> {
              tx.insertKey(next);
              return tx.appendAudit(entry(next.keyId()));
            });
    assertThat(appended.seq()).isEqualTo(2);
    List<AuditEvent> events = s.auditAfter(0, 10);
    assertThat(events)
        .extracting(e -> e.entry().targetId())
        .containsExactly("key_kept", "key_next");
    assertThat(events.get(1).prevHash()).isEqualTo(events.get(0).hash());
    assertThat(events.get(0).prevHash()).isEqualTo(AuditChain.GENESIS);
  }
}
