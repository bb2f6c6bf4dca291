package io.keygate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.KeygateException;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's own start and close. The {@code build_*} and refused-restart tests call {@link
 * KeygateServer#builder()} directly, not the test-server extension: they check that {@code build()}
 * itself fails, before anything listens.
 */
class KeygateServerTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;

  @Test
  void start_bindsARandomPort_andGeneratesAnOwnerOnlyPepper() throws Exception {
    try (TestServer t = servers.start(dir)) {
      assertThat(t.server.port()).isPositive();
      t.req("GET", "/healthz").token(null).send().expect(200);
    }
    Path pepper = dir.resolve("pepper");
    assertThat(pepper).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pepper)))
        .isEqualTo("rw-------");
    assertThat(dir.resolve("keygate.db")).exists();
  }

  @Test
  void jetty_keepsNoHeaderCache_andSendsBodiesLargerThanTheCopyBuffer() throws Exception {
    try (TestServer t = servers.start(dir)) {
      // Jetty's per-connection header cache would keep an Authorization credential after its
      // request; every connector (the TLS one copies the same configuration) has it off.
      assertThat(t.server.jetty().getConnectors())
          .isNotEmpty()
          .allSatisfy(
              c ->
                  assertThat(c.getConnectionFactory(HttpConnectionFactory.class))
                      .extracting(f -> f.getHttpConfiguration().getHeaderCacheSize())
                      .isEqualTo(0));
      // Bodies are copied in 4 KB steps: a larger one still arrives whole.
      byte[] spec;
      try (var in = getClass().getResourceAsStream("/openapi.json")) {
        spec = in.readAllBytes();
      }
      assertThat(spec.length).isGreaterThan(3 * 4096);
      TestServer.Response r = t.req("GET", "/openapi.json").token(null).send();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(new String(spec, StandardCharsets.UTF_8));
    }
  }

  @Test
  void close_flushesPendingUsage_andKeysSurviveARestart() {
    String raw;
    String id;
    try (TestServer t =
        servers.start(
            dir, c -> TestServer.withIntervals(c, Duration.ofHours(1), Duration.ofDays(1)))) {
      JsonNode k = t.createKey("owner_id", "acme");
      raw = k.path("api_key").asText();
      id = k.path("key_id").asText();
      t.verify(raw);
      t.verify(raw);
    }
    try (TestServer t = servers.start(dir)) {
      JsonNode stored = t.get("/v1/keys/" + id).expect(200);
      assertThat(stored.path("usage_count").asLong()).isEqualTo(2);
      assertThat(stored.path("last_used_at").isNull()).isFalse();
      assertThat(t.verify(raw).path("code").asText()).isEqualTo("valid");
    }
  }

  @Test
  void build_withPepperReadableByOthers_failsFast() throws Exception {
    Path pepper = dir.resolve("pepper");
    Files.writeString(pepper, "v1:" + "A".repeat(44) + "\n");
    Files.setPosixFilePermissions(pepper, PosixFilePermissions.fromString("rw-r--r--"));
    ServerConfig cfg = TestServer.config(dir);
    assertThatThrownBy(() -> KeygateServer.builder().config(cfg).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("chmod 600");
  }

  @Test
  void build_withDataKeyReadableByOthers_failsFast() throws Exception {
    try (TestServer t = servers.start(dir)) {
      assertThat(t.base).isNotEmpty(); // the first start creates the data key, 0600
    }
    Path dataKey = dir.resolve("data-key");
    assertThat(Files.getPosixFilePermissions(dataKey))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(dataKey, PosixFilePermissions.fromString("rw-r-----"));
    ServerConfig cfg = TestServer.config(dir);
    assertThatThrownBy(() -> KeygateServer.builder().config(cfg).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("chmod 600")
        .hasMessageContaining("data-key");
  }

  @Test
  void freshDataDir_theDirectoryAndEveryFileKeygateCreatesInIt_areOwnerOnly() throws Exception {
    Path data = dir.resolve("srv/data");
    try (TestServer t = servers.start(data)) {
      String id = t.createKey("owner_id", "acme").path("key_id").asText();
      t.post("/v1/keys/" + id + "/rotate", Map.of("grace_period_hours", 0)).expect(201);
      t.post("/v1/owners", TestServer.map("owner_id", "acme", "name", "Acme")).expect(201);
      assertThat(data.resolve("keygate.db-wal")).exists(); // SQLite's files exist while it runs
      assertThat(data.resolve("keygate.db-shm")).exists();
      assertOwnerOnly(data);
    }
    assertOwnerOnly(data);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("srv"))))
        .isEqualTo("rwx------");
    assertThat(data.resolve("audit-key")).exists();
    assertThat(data.resolve("audit-head")).exists();
  }

  private static void assertOwnerOnly(Path data) throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data)))
        .isEqualTo("rwx------");
    try (var files = Files.list(data)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
            .as(f.getFileName().toString())
            .isEqualTo(Files.isDirectory(f) ? "rwx------" : "rw-------");
      }
    }
  }

  @Test
  void build_withAuditKeyReadableByOthers_failsFast() throws Exception {
    try (TestServer t = servers.start(dir)) {
      assertThat(t.base).isNotEmpty(); // the first start creates the audit key, 0600
    }
    Path auditKey = dir.resolve("audit-key");
    Files.setPosixFilePermissions(auditKey, PosixFilePermissions.fromString("rw-r-----"));
    ServerConfig cfg = TestServer.config(dir);
    assertThatThrownBy(() -> KeygateServer.builder().config(cfg).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("chmod 600")
        .hasMessageContaining("audit-key");
  }

  @Test
  void restart_withAnotherPepperFile_isRefusedAtStartup_notAnsweredInvalidKeyLater()
      throws Exception {
    String raw;
    try (TestServer t = servers.start(dir)) {
      raw = t.createKey("owner_id", "acme").path("api_key").asText();
    }
    Path pepper = dir.resolve("pepper");
    Files.delete(pepper); // e.g. a redeploy that lost the data directory's pepper
    ServerConfig cfg = TestServer.config(dir);
    assertThatThrownBy(() -> KeygateServer.builder().config(cfg).build())
        .isInstanceOf(KeygateException.SecretMismatch.class)
        .hasMessageContaining("pepper v1 of this node (file " + pepper.toAbsolutePath())
        .hasMessageContaining("is not the pepper v1 this database was written with");
    assertThat(raw).isNotEmpty();
  }
}
