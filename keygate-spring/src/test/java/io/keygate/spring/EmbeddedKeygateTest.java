package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.keygate.core.BackgroundJob;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.SecretChecks;
import io.keygate.core.audit.AuditKey;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.lifecycle.ImportKey;
import io.keygate.core.lifecycle.KeyImporter;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.LegacyKeys;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.store.jdbc.JdbcStores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKeygateTest {
  @TempDir Path dir;

  /** Writes a pepper file in the server's format with owner-only permissions. */
  static Path writePepper(Path dir, byte[] secret) throws Exception {
    return writeSecret(dir.resolve("pepper"), secret);
  }

  /** Writes a secret file ({@code v1:<base64>}) with owner-only permissions. */
  static Path writeSecret(Path f, byte[] secret) throws Exception {
    Files.deleteIfExists(f);
    Files.createFile(
        f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(f, "# test secret\nv1:" + Base64.getEncoder().encodeToString(secret) + "\n");
    return f;
  }

  static byte[] random32() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return b;
  }

  /**
   * The "server" store in {@code dir}, linking audit events under {@code auditKey}, which is
   * written to the file the embedded app reads.
   */
  private KeyStore serverStore(byte[] auditKey) throws Exception {
    writeSecret(dir.resolve("audit-key"), auditKey);
    return JdbcStores.sqlite(dir)
        .auditKeys(new AuditKeys(List.of(new AuditKey(1, auditKey))))
        .build();
  }

  /** A key of owner {@code acme}, scoped {@code read}, expiring in a day. */
  private static CreatedKey createKey(Keygate server) {
    return server
        .keys()
        .create(
            new CreateKey(null, "acme", "t", List.of("read"), null, null, 1, null), Actor.SYSTEM);
  }

  /**
   * A "server" store in {@code dir} with a key made under {@code pepper}, audit key in the file.
   */
  private CreatedKey serverKey(byte[] pepper, byte[] auditKey) throws Exception {
    try (KeyStore s = serverStore(auditKey)) {
      Keygate server = Keygate.builder().store(s).pepper(new Pepper(1, pepper)).build();
      s.sealAuditHead();
      SecretChecks.require(s, SecretChecks.pepper(server.hasher()), "server", "-");
      return createKey(server);
    }
  }

  private String url() {
    return "jdbc:sqlite:" + dir.resolve(JdbcStores.SQLITE_FILE_NAME);
  }

  @Test
  void open_withAnotherPepperOrAuditKeyThanTheServer_isRefused_namingTheProperty()
      throws Exception {
    byte[] pepper = random32();
    byte[] audit = random32();
    CreatedKey k = serverKey(pepper, audit);
    Path wrongPepper = writeSecret(dir.resolve("other-pepper"), random32());
    assertThatThrownBy(
            () ->
                EmbeddedKeygate.open(
                    url(),
                    wrongPepper,
                    dir.resolve("audit-key"),
                    Duration.ZERO,
                    Duration.ofSeconds(1)))
        .isInstanceOf(KeygateException.SecretMismatch.class)
        .hasMessageContaining("pepper v1 of this node (keygate.pepper-file " + wrongPepper)
        .hasMessageContaining("Point keygate.pepper-file at the Keygate server's pepper file");
    Path rightPepper = writePepper(dir, pepper);
    Path wrongAudit = writeSecret(dir.resolve("other-audit-key"), random32());
    assertThatThrownBy(
            () ->
                EmbeddedKeygate.open(
                    url(), rightPepper, wrongAudit, Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(KeygateException.SecretMismatch.class)
        .hasMessageContaining("audit key v1 of this node (keygate.audit-key-file " + wrongAudit);
    Files.delete(dir.resolve("audit-key"));
    assertThatThrownBy(
            () ->
                EmbeddedKeygate.open(
                    url(), rightPepper, null, Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("keygate.audit-key-file");
    writeSecret(dir.resolve("audit-key"), audit);
    try (EmbeddedKeygate app =
        EmbeddedKeygate.open(url(), rightPepper, null, Duration.ZERO, Duration.ofSeconds(1))) {
      assertThat(app.keygate().verifier().verify(VerifyRequest.of(k.secret().reveal())).valid())
          .isTrue();
    }
  }

  @Test
  void open_sharesStoreAndPepperWithAnotherProcess() throws Exception {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    Path pepper = writePepper(dir, secret);
    try (KeyStore serverStore = serverStore(random32())) {
      Keygate server = Keygate.builder().store(serverStore).pepper(new Pepper(1, secret)).build();
      CreatedKey k = createKey(server);
      try (EmbeddedKeygate app =
          EmbeddedKeygate.open(url(), pepper, null, Duration.ZERO, Duration.ofSeconds(1))) {
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
  void revocationByTheServer_reachesAnEmbeddedAppThroughTheChangeFeed_longBeforeItsCacheTtl()
      throws Exception {
    byte[] secret = random32();
    Path pepper = writePepper(dir, secret);
    try (KeyStore serverStore = serverStore(random32())) {
      Keygate server = Keygate.builder().store(serverStore).pepper(new Pepper(1, secret)).build();
      CreatedKey k = createKey(server);
      try (EmbeddedKeygate app =
          EmbeddedKeygate.open(url(), pepper, null, Duration.ofHours(1), Duration.ofSeconds(1))) {
        VerifyRequest req = VerifyRequest.of(k.secret().reveal());
        assertThat(app.keygate().verifier().verify(req).valid()).isTrue(); // cached for an hour
        server.keys().revoke(k.record().keyId(), "leaked", Actor.SYSTEM);
        await()
            .atMost(Duration.ofSeconds(5))
            .until(
                () -> app.keygate().verifier().verify(req).outcome().code(), "key_revoked"::equals);
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
    assertThatThrownBy(
            () -> EmbeddedKeygate.open(null, dir, null, Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessageContaining("keygate.database-url");
    assertThatThrownBy(
            () ->
                EmbeddedKeygate.open(
                    "jdbc:sqlite:/x.db", null, null, Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessageContaining("keygate.pepper-file");
  }

  /**
   * Regression: in embedded mode nothing re-read the prefixes of imported keys (only the server
   * scheduled it), so a key imported through the server never verified in the Spring app. Now the
   * embedded process runs the core's background jobs, {@code imported-prefix-refresh} among them.
   */
  @Test
  void importedKey_importedThroughTheServer_verifiesInEmbeddedMode() throws Exception {
    byte[] pepper = random32();
    byte[] audit = random32();
    serverKey(pepper, audit);
    String raw = "legacy_" + UUID.randomUUID().toString().replace("-", "");
    try (KeyStore s = serverStore(audit)) {
      Keygate server = Keygate.builder().store(s).pepper(new Pepper(1, pepper)).build();
      new KeyImporter(
              s,
              server.format(),
              server.hasher(),
              server.keys().policy(),
              server.clock(),
              SecureRandom::new)
          .importKey(
              new ImportKey(
                  LegacyKeys.sha256Hex(raw),
                  "legacy_",
                  null,
                  "acme",
                  "imported",
                  List.of("read"),
                  List.of(),
                  List.of(),
                  null,
                  30,
                  Map.of()),
              Actor.SYSTEM);
    }
    try (EmbeddedKeygate app =
        EmbeddedKeygate.open(
            url(), writePepper(dir, pepper), null, Duration.ZERO, Duration.ofSeconds(1))) {
      assertThat(app.keygate().backgroundJobs())
          .extracting(BackgroundJob::name)
          .contains("usage-flush", "rotation-sweep", "imported-prefix-refresh");
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(app.keygate().verifier().verify(VerifyRequest.of(raw)).outcome())
                      .isEqualTo(Outcome.VALID));
    }
  }
}
