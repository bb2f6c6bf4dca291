package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.TestAuditKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdbcStoresTest {
  @TempDir Path tmp;

  @Test
  void sqlite_createsDataDirectoryAndDatabaseInWalMode() throws Exception {
    Path dir = tmp.resolve("nested/data");

    try (KeyStore store = JdbcStores.sqlite(dir).build()) {
      assertThat(store.auditAfter(0, 1)).isEmpty();
    }

    Path file = dir.resolve(JdbcStores.SQLITE_FILE_NAME);
    assertThat(file).isRegularFile();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("wal");
    }
  }

  @Test
  void sqlite_reopened_keepsDataAndDoesNotMigrateTwice() {
    AuditEntry e = new AuditEntry(Instant.EPOCH, "system", "test", null, null, null, Map.of());
    AuditKeys keys = TestAuditKeys.random();
    try (KeyStore store = JdbcStores.sqlite(tmp).auditKeys(keys).build()) {
      store.inTransaction(tx -> tx.appendAudit(e));
    }

    try (KeyStore store =
        JdbcStores.fromUrl("jdbc:sqlite:" + tmp.resolve("keygate.db")).auditKeys(keys).build()) {
      assertThat(store.auditAfter(0, 10)).hasSize(1);
      assertThat(store.inTransaction(tx -> tx.appendAudit(e)).seq()).isEqualTo(2);
    }
  }

  @Test
  void sqlite_dataDirectoryDatabaseAndWalFiles_areOwnerOnly() throws Exception {
    Path dir = tmp.resolve("fresh/data");
    AuditEntry e = new AuditEntry(Instant.EPOCH, "system", "test", null, null, null, Map.of());
    try (KeyStore store = JdbcStores.sqlite(dir).auditKeys(TestAuditKeys.random()).build()) {
      store.inTransaction(tx -> tx.appendAudit(e)); // writes the WAL and the shared-memory file
      assertThat(Files.getPosixFilePermissions(tmp.resolve("fresh")))
          .isEqualTo(PosixFilePermissions.fromString("rwx------"));
      assertThat(Files.getPosixFilePermissions(dir))
          .isEqualTo(PosixFilePermissions.fromString("rwx------"));
      for (String name : new String[] {"keygate.db", "keygate.db-wal", "keygate.db-shm"}) {
        assertThat(dir.resolve(name)).as(name).isRegularFile();
        assertThat(Files.getPosixFilePermissions(dir.resolve(name)))
            .as(name)
            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      }
    }
  }

  @Test
  void sqlite_databaseLeftReadableByAnOlderVersion_isMadeOwnerOnly_viaUrlToo() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("old"));
    try (KeyStore store = JdbcStores.sqlite(dir).build()) {
      assertThat(store.auditAfter(0, 1)).isEmpty();
    }
    for (String name : new String[] {"keygate.db", "keygate.db-wal", "keygate.db-shm"}) {
      if (Files.exists(dir.resolve(name))) {
        Files.setPosixFilePermissions(
            dir.resolve(name), PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    try (KeyStore store = JdbcStores.fromUrl("jdbc:sqlite:" + dir.resolve("keygate.db")).build()) {
      assertThat(store.auditAfter(0, 1)).isEmpty();
    }
    for (String name : new String[] {"keygate.db", "keygate.db-wal", "keygate.db-shm"}) {
      if (Files.exists(dir.resolve(name))) {
        assertThat(Files.getPosixFilePermissions(dir.resolve(name)))
            .as(name)
            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      }
    }
  }

  @Test
  void storeWithoutAuditKeys_readsTheLog_butRefusesToAppend_andKeysAreSetOnce() {
    AuditEntry e = new AuditEntry(Instant.EPOCH, "system", "test", null, null, null, Map.of());
    try (KeyStore store = JdbcStores.sqlite(tmp).build()) {
      assertThat(store.auditAfter(0, 10)).isEmpty();
      assertThatThrownBy(() -> store.inTransaction(tx -> tx.appendAudit(e)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("without an audit key");
      assertThatThrownBy(store::sealAuditHead).isInstanceOf(IllegalStateException.class);
    }
    assertThatThrownBy(
            () ->
                JdbcStores.sqlite(tmp)
                    .auditKeys(TestAuditKeys.random())
                    .auditKeys(TestAuditKeys.random()))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void sqlite_dataDirIsAFile_isIllegalArgument() throws Exception {
    Path file = Files.createFile(tmp.resolve("not-a-dir"));

    assertThatThrownBy(() -> JdbcStores.sqlite(file).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a directory");
  }

  @Test
  void schemaOrCredentials_onSqlite_isIllegalState() {
    assertThatThrownBy(() -> JdbcStores.sqlite(tmp).schema("kg"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PostgreSQL only");
    assertThatThrownBy(() -> JdbcStores.sqlite(tmp).credentials("u", "p"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void options_setTwice_isIllegalState() {
    JdbcStores b =
        JdbcStores.fromUrl("jdbc:postgresql://localhost/db")
            .schema("kg")
            .poolSize(3)
            .connectionTimeout(Duration.ofSeconds(1))
            .credentials("kg", null);

    assertThatThrownBy(() -> b.schema("other")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.poolSize(4)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.connectionTimeout(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> b.credentials("x", null)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void credentials_whenUrlCarriesUser_isIllegalState() {
    assertThatThrownBy(() -> JdbcStores.fromUrl("postgres://kg@localhost/db").credentials("a", "b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already set");
  }

  @Test
  void badValues_areIllegalArgument() {
    JdbcStores pg = JdbcStores.fromUrl("jdbc:postgresql://localhost/db");

    assertThatThrownBy(() -> pg.schema("Bad-Name")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pg.poolSize(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pg.poolSize(JdbcStores.MAX_POOL_SIZE + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pg.connectionTimeout(Duration.ofMillis(10)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pg.credentials(" ", null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> JdbcStores.fromUrl("jdbc:mysql://localhost/db"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void build_unreachablePostgres_isStoreUnavailableWithoutPassword() {
    JdbcStores b =
        JdbcStores.fromUrl("postgres://kg:hunter2@127.0.0.1:1/keygate?connectTimeout=1")
            .connectionTimeout(Duration.ofMillis(500));

    assertThatThrownBy(b::build)
        .isInstanceOf(KeygateException.StoreUnavailable.class)
        .hasMessageContaining("cannot open Keygate store at jdbc:postgresql://127.0.0.1:1/keygate")
        .hasMessageNotContaining("hunter2")
        .hasCauseInstanceOf(RuntimeException.class);
  }
}
