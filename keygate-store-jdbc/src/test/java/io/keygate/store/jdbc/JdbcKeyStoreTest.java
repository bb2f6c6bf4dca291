package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.KeygateException;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreTx;
import io.keygate.core.store.UsageDelta;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behaviour of the JDBC store beyond the shared contract, shown on SQLite. */
class JdbcKeyStoreTest {
  @TempDir Path tmp;

  private static ApiKeyRecord key(String id, Instant created) {
    return new ApiKeyRecord(
        id,
        "live_secret",
        null,
        "ab".repeat(32),
        1,
        null,
        new KeySettings("n", List.of(), List.of(), List.of(), Map.of()),
        KeyStatus.ACTIVE,
        created,
        created,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        0);
  }

  @Test
  void insert_subMillisecondInstants_areStoredAtMillisecondPrecision() {
    Instant precise = Instant.parse("2026-01-01T00:00:00.123456789Z");
    try (KeyStore store = JdbcStores.sqlite(tmp).build()) {
      store.inTransaction(
          tx -> {
            tx.insertKey(key("key_precise", precise));
            return null;
          });

      ApiKeyRecord stored = store.findById("key_precise").orElseThrow();
      assertThat(stored.createdAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00.123Z"));
    }
  }

  @Test
  void tx_usedAfterItsTransactionEnded_isIllegalState() {
    try (KeyStore store = JdbcStores.sqlite(tmp).build()) {
      AtomicReference<KeyStoreTx> leaked = new AtomicReference<>();
      store.inTransaction(
          tx -> {
            leaked.set(tx);
            return null;
          });

      assertThatThrownBy(() -> leaked.get().lockKey("key_x"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("after its transaction ended");
    }
  }

  @Test
  void closedStore_isStoreUnavailableNamingTheOperationAndKeepingTheCause() {
    KeyStore store = JdbcStores.sqlite(tmp).build();
    store.close();

    assertThatThrownBy(() -> store.findById("key_x"))
        .isInstanceOf(KeygateException.StoreUnavailable.class)
        .hasMessageStartingWith("keygate-sqlite - findById (getting a connection) failed: ")
        .hasCauseInstanceOf(SQLException.class)
        .extracting(e -> ((KeygateException) e).code())
        .isEqualTo("store_unavailable");
  }

  @Test
  void recordUsage_negativeCount_isIllegalArgument() {
    try (KeyStore store = JdbcStores.sqlite(tmp).build()) {
      assertThatThrownBy(
              () -> store.recordUsage(List.of(new UsageDelta("key_x", -1, Instant.EPOCH))))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void limits_belowOne_areIllegalArgument() {
    try (KeyStore store = JdbcStores.sqlite(tmp).build()) {
      assertThatThrownBy(() -> store.dueForRevocation(Instant.EPOCH, 0))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.auditAfter(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
