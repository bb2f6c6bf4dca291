package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.Keygate;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.store.jdbc.JdbcStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKeygateTest {
  @TempDir Path dir;

  /** Writes a pepper file in the server's format with owner-only permissions. */
  static Path writePepper(Path dir, byte[] secret) throws Exception {
    Path f = dir.resolve("pepper");
    Files.createFile(
        f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, "# test pepper\nv1:" + Base64.getEncoder().encodeToString(secret) + "\n");
    return f;
  }

  @Test
  void open_sharesStoreAndPepperWithAnotherProcess() throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    Path pepper = writePepper(dir, secret);
    KeyStore serverStore = JdbcStores.sqlite(dir).build();
    try (serverStore) {
      Keygate server = Keygate.builder().store(serverStore).pepper(new Pepper(1, secret)).build();
      CreatedKey k =
          server
              .keys()
              .create(
                  new CreateKey(null, "acme", "t", List.of("read"), null, null, 1, null),
                  Actor.SYSTEM);
      String url = "jdbc:sqlite:" + dir.resolve(JdbcStores.SQLITE_FILE_NAME);
      try (EmbeddedKeygate app =
          EmbeddedKeygate.open(url, pepper, Duration.ZERO, Duration.ofSeconds(1))) {
        assertThat(app.keygate().verifier().verify(VerifyRequest.of(k.secret().reveal())).valid())
            .isTrue();
        server.keys().revoke(k.record().keyId(), "leaked", Actor.SYSTEM);
        assertThat(
                app.keygate()
                    .verifier()
                    .verify(VerifyRequest.of(k.secret().reveal()))
                    .outcome()
                    .code())
            .isEqualTo("key_revoked");
      }
    }
  }

  @Test
  void loadPeppers_groupReadableFile_isRefused() throws Exception {
    Path f = dir.resolve("pepper");
    Files.writeString(f, "v1:" + Base64.getEncoder().encodeToString(new byte[32]) + "\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
    assertThatThrownBy(() -> EmbeddedKeygate.loadPeppers(f))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("chmod 600");
  }

  @Test
  void loadPeppers_malformedLine_namesTheLine() throws Exception {
    Path f = dir.resolve("pepper");
    Files.createFile(
        f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, "oops\n");
    assertThatThrownBy(() -> EmbeddedKeygate.loadPeppers(f)).hasMessageContaining("line 1");
  }

  @Test
  void open_missingSettings_failFastNamingTheProperty() {
    assertThatThrownBy(() -> EmbeddedKeygate.open(null, dir, Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessageContaining("keygate.database-url");
    assertThatThrownBy(
            () ->
                EmbeddedKeygate.open(
                    "jdbc:sqlite:/x.db", null, Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessageContaining("keygate.pepper-file");
  }
}
