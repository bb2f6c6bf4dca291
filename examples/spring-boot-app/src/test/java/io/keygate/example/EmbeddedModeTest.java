package io.keygate.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.Keygate;
import io.keygate.core.audit.AuditKey;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.store.KeyStore;
import io.keygate.store.jdbc.JdbcStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The same app and filter in embedded mode: it verifies in-process over a SQLite Keygate store in a
 * temp dir, while the test plays the Keygate server, issuing and revoking keys in that store with
 * the same pepper.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class EmbeddedModeTest {
  private static Path dataDir;
  private static KeyStore store;
  private static Keygate keygate;

  @DynamicPropertySource
  static void keygate(DynamicPropertyRegistry registry) throws IOException {
    dataDir = Files.createTempDirectory("keygate-example-embedded");
    Path pepper = dataDir.resolve("pepper");
    byte[] secret = writeRandomSecret(pepper);
    byte[] audit = writeRandomSecret(dataDir.resolve("audit-key")); // found next to the pepper file
    store =
        JdbcStores.sqlite(dataDir)
            .auditKeys(new AuditKeys(List.of(new AuditKey(1, audit))))
            .build();
    keygate = Keygate.builder().store(store).pepper(new Pepper(1, secret)).build();
    registry.add("keygate.mode", () -> "embedded");
    registry.add(
        "keygate.database-url",
        () -> "jdbc:sqlite:" + dataDir.resolve(JdbcStores.SQLITE_FILE_NAME));
    registry.add("keygate.pepper-file", pepper::toString);
    registry.add("keygate.cache-ttl", () -> "0");
  }

  /** 32 random bytes written as {@code v1:<base64>} to an owner-only {@code file}; the bytes. */
  private static byte[] writeRandomSecret(Path file) throws IOException {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, "v1:" + Base64.getEncoder().encodeToString(secret) + "\n");
    return secret;
  }

  @AfterAll
  static void close() throws IOException {
    store.close();
    TempDirs.delete(dataDir);
  }

  @LocalServerPort int port;

  private static CreatedKey key(String... scopes) {
    return keygate
        .keys()
        .create(
            new CreateKey(null, "acme", "embedded", List.of(scopes), null, null, 30, null),
            Actor.SYSTEM);
  }

  @Test
  void embeddedMode_enforcesKeysScopesAndRevocationInProcess() throws Exception {
    Http http = new Http(port);
    CreatedKey reader = key("read");
    CreatedKey admin = key("admin");
    String readerKey = reader.secret().reveal();

    assertThat(http.get("/public", null).status()).isEqualTo(200);
    assertThat(http.get("/api/data", null).error()).isEqualTo("401 missing_api_key");
    assertThat(http.get("/api/data", readerKey).keyId())
        .isEqualTo("200 " + reader.record().keyId());
    assertThat(http.send("POST", "/api/data", Map.of("X-API-Key", readerKey), "{}").error())
        .isEqualTo("403 insufficient_scope");
    assertThat(http.get("/api/admin", readerKey).error()).isEqualTo("403 insufficient_scope");
    assertThat(http.get("/api/admin", admin.secret().reveal()).keyId())
        .isEqualTo("200 " + admin.record().keyId());
    assertThat(http.get("/api/data?k=" + readerKey, null).error()).isEqualTo("403 api_key_in_url");

    keygate.keys().revoke(reader.record().keyId(), "rotated out", Actor.SYSTEM);
    assertThat(http.get("/api/data", readerKey).error()).isEqualTo("401 key_revoked");
  }
}
