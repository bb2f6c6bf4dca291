package io.keygate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, online pepper rotation: {@code keygate rotate-pepper} against the pepper file of a
 * running server (real HTTP, real SQLite) that picks the new version up by itself.
 */
class RotatePepperCommandTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;
  TestServer t;

  record Run(int exit, String out, String err) {}

  static Run cli(String... args) {
    return cli(Map.of(), args);
  }

  static Run cli(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = KeygateCli.run(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  @BeforeEach
  void start() {
    t =
        servers.start(
            dir,
            c -> c,
            b -> b.secrets(SecretsConfig.defaults().withReloadInterval(Duration.ofMillis(100))));
  }

  private ApiKeyRecord stored(JsonNode key) {
    return t.server.keygate().store().findById(key.path("key_id").asText()).orElseThrow();
  }

  private String verify(JsonNode key) {
    return t.verify(key.path("api_key").asText()).path("code").asText();
  }

  @Test
  void rotatePepper_runningServerPicksItUp_oldKeysRehashOnVerify_statusDrains_retireWorks()
      throws Exception {
    String d = dir.toString();
    JsonNode before = t.createKey("owner_id", "acme");
    JsonNode idle = t.createKey("owner_id", "acme");
    assertThat(verify(before)).isEqualTo("valid"); // now cached under its v1 hash
    assertThat(stored(before).pepperVersion()).isEqualTo(1);

    Run added = cli("rotate-pepper", "--data-dir", d);
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(added.out()).contains("added pepper v2 to " + dir.resolve("pepper"));
    assertThat(Files.getPosixFilePermissions(dir.resolve("pepper")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    await("the server reloads v2")
        .atMost(Duration.ofSeconds(15))
        .until(() -> t.server.keygate().hasher().currentVersion() == 2);
    // the security report states the versions in force now, not those at startup
    assertThat(t.server.monitoring().report().controls())
        .anySatisfy(
            c -> assertThat(c.implementation()).contains("configured pepper versions v1, v2"));
    // and so does the CLI report without --url: the server records its settings again on reload
    await("the CLI report states v1, v2")
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                cli("report", "--data-dir", d).out().contains("configured pepper versions v1, v2"));

    // before any request: both keys and the admin token are still under v1
    Run status = cli("rotate-pepper", "--status", "--data-dir", d);
    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out())
        .contains("versions [1, 2], v2 hashes new keys", "v1: 3 live", "v2: 0 live");
    Run refused = cli("rotate-pepper", "--retire", "1", "--data-dir", d);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("refusing to retire pepper v1", "3 key(s)", "--force");

    // the old key verifies and is re-hashed; a new key is minted under v2
    assertThat(verify(before)).isEqualTo("valid");
    assertThat(stored(before).pepperVersion()).isEqualTo(2);
    assertThat(stored(before).hash())
        .isEqualTo(t.server.keygate().hasher().hash(2, before.path("api_key").asText()));
    JsonNode after = t.createKey("owner_id", "acme");
    assertThat(stored(after).pepperVersion()).isEqualTo(2);
    assertThat(verify(after)).isEqualTo("valid");
    JsonNode audit = t.get("/v1/audit?target_id=" + before.path("key_id").asText()).expect(200);
    assertThat(audit.path("data").toString()).contains("key.rehashed");

    // only the key nobody presented is left on v1
    status = cli("rotate-pepper", "--status", "--data-dir", d);
    assertThat(status.out()).contains("v1: 1 live", "v2: 3 live");
    refused = cli("rotate-pepper", "--retire", "1", "--data-dir", d);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("1 key(s)");
    assertThat(verify(idle)).isEqualTo("valid");
    status = cli("rotate-pepper", "--status", "--data-dir", d);
    assertThat(status.out()).contains("v1: 0 live", "can be retired", "v2: 4 live");

    Run current = cli("rotate-pepper", "--retire", "2", "--data-dir", d);
    assertThat(current.exit()).isEqualTo(1);
    assertThat(current.err()).contains("current");

    Run retired = cli("rotate-pepper", "--retire", "1", "--data-dir", d);
    assertThat(retired.exit()).as(retired.err()).isZero();
    assertThat(retired.out()).contains("retired pepper v1").doesNotContain("stop verifying");
    await("the server drops v1")
        .atMost(Duration.ofSeconds(15))
        .until(() -> t.server.keygate().hasher().versions().equals(List.of(2)));
    t.server.keygate().verifier().invalidateAll();
    for (JsonNode k : List.of(before, idle, after)) {
      assertThat(verify(k)).isEqualTo("valid");
    }
    assertThat(Files.getPosixFilePermissions(dir.resolve("pepper")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(cli("audit", "verify", "--data-dir", d).exit()).isZero();
  }

  @Test
  void retireForce_keyStillOnTheOldVersion_stopsVerifying() throws Exception {
    String d = dir.toString();
    JsonNode idle = t.createKey("owner_id", "acme");
    assertThat(cli("rotate-pepper", "--data-dir", d).exit()).isZero();
    await("the server reloads v2")
        .atMost(Duration.ofSeconds(15))
        .until(() -> t.server.keygate().hasher().currentVersion() == 2);
    t.get("/v1/keys").expect(200); // the admin token moves to v2 on this use; idle does not

    Run forced = cli("rotate-pepper", "--retire", "1", "--force", "--data-dir", d);
    assertThat(forced.exit()).as(forced.err()).isZero();
    assertThat(forced.out()).contains("stop verifying");
    await("the server drops v1")
        .atMost(Duration.ofSeconds(15))
        .until(() -> t.server.keygate().hasher().versions().equals(List.of(2)));
    t.server.keygate().verifier().invalidateAll();
    assertThat(verify(idle)).isEqualTo("invalid_key");
  }

  @Test
  void reload_worldReadablePepperFile_isRefused_versionsStay_untilChmod600() throws Exception {
    JsonNode k = t.createKey("owner_id", "acme");
    Path pepper = dir.resolve("pepper");
    Files.setPosixFilePermissions(pepper, PosixFilePermissions.fromString("rw-r--r--"));
    Run refused = cli("rotate-pepper", "--data-dir", dir.toString());
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("chmod 600");

    // a new version lands in the file while others can read it: the server refuses to load it
    Files.writeString(
        pepper,
        "v2:" + Base64.getEncoder().encodeToString(new byte[32]) + "\n",
        StandardOpenOption.APPEND);
    Thread.sleep(600); // several reload intervals
    assertThat(t.server.keygate().hasher().versions()).containsExactly(1);
    assertThat(verify(k)).isEqualTo("valid");

    // chmod changes no modification time; the server still picks the file up
    Files.setPosixFilePermissions(pepper, PosixFilePermissions.fromString("rw-------"));
    await("the server loads v2")
        .atMost(Duration.ofSeconds(15))
        .until(() -> t.server.keygate().hasher().currentVersion() == 2);
    assertThat(verify(k)).isEqualTo("valid");
  }
}
