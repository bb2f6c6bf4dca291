package io.keygate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.http.Json;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The {@code keygate} CLI, run in-process with captured output and an injected environment. */
class KeygateCliTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String ADMIN_TOKEN = "kg_admin_[0-9A-Za-z]{43}[0-9A-Za-z]{6}";

  @TempDir Path dir;

  record Run(int exit, String out, String err) {
    JsonNode json() {
      try {
        return Json.MAPPER.readTree(out);
      } catch (Exception e) {
        throw new AssertionError("stdout is not JSON: " + out + "\nstderr: " + err, e);
      }
    }
  }

  static Run cli(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = KeygateCli.run(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  static Run cli(String... args) {
    return cli(Map.of(), args);
  }

  @Test
  void createToken_printsExactlyOneTokenLineOnStdout() {
    Run r = cli("admin", "create-token", "--data-dir", dir.toString());

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out().lines().toList()).hasSize(1);
    assertThat(r.out().strip()).matches(ADMIN_TOKEN);
    assertThat(r.err()).contains("Admin token key_").doesNotContain(r.out().strip());

    try (TestServer t = servers.start(dir)) {
      t.req("GET", "/v1/keys").token(r.out().strip()).send().expect(200);
      t.req("POST", "/v1/verify").token(r.out().strip()).json(Map.of()).send().expect(200);
    }
  }

  @Test
  void createToken_worksWhileTheServerRuns_withScopesAndOwner() {
    try (TestServer t = servers.start(dir)) {
      Run r =
          cli(
              "admin",
              "create-token",
              "--data-dir",
              dir.toString(),
              "--scopes",
              "keys:read",
              "--owner-id",
              "acme");
      assertThat(r.exit()).as(r.err()).isZero();
      String token = r.out().strip();
      t.req("GET", "/v1/keys").token(token).send().expect(200);
      t.req("POST", "/v1/keys").token(token).json(Map.of("owner_id", "acme")).send().expect(403);
      String id = t.server.keygate().verifier().find(token).orElseThrow().keyId();
      t.get("/v1/keys/" + id).expect(404);
      JsonNode rec = t.get("/v1/admin-tokens/" + id).expect(200);
      assertThat(rec.path("owner_id").asText()).isEqualTo("acme");
      assertThat(rec.path("hint").asText()).startsWith("kg_admin_");
      assertThat(rec.path("scopes").toString()).isEqualTo("[\"keys:read\"]");
    }
  }

  @Test
  void createToken_unknownScope_isAUsageError() {
    Run r =
        cli("admin", "create-token", "--data-dir", dir.toString(), "--scopes", "keys:read,root");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("unknown admin scope 'root'");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void commandsOnTheDatabase_refuseADataDirThatDoesNotExist_andCreateNothing() {
    Path missing = dir.resolve("typo").resolve("keygate-data");
    for (String[] args :
        List.of(
            new String[] {"admin", "create-token"},
            new String[] {"audit", "verify"},
            new String[] {"rotate-pepper", "--status"},
            new String[] {"rotate-data-key", "--status"},
            new String[] {"rotate-audit-key"},
            new String[] {"report"})) {
      String[] full = Arrays.copyOf(args, args.length + 2);
      full[args.length] = "--data-dir";
      full[args.length + 1] = missing.toString();
      Run r = cli(full);
      assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(1);
      assertThat(r.err())
          .as(String.join(" ", args))
          .contains("no Keygate data directory at " + missing.toAbsolutePath())
          .contains("keygate serve");
      assertThat(r.out()).as("no token or report printed").isEmpty();
      assertThat(missing.getParent()).as("nothing created").doesNotExist();
    }
  }

  @Test
  void auditVerify_passesOnAnIntactChain_andFailsAfterTampering() throws Exception {
    assertThat(cli("admin", "create-token", "--data-dir", dir.toString()).exit()).isZero();
    assertThat(cli("admin", "create-token", "--data-dir", dir.toString()).exit()).isZero();
    assertThat(cli("admin", "create-token", "--data-dir", dir.toString()).exit()).isZero();

    Run ok = cli("audit", "verify", "--data-dir", dir.toString());
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("audit chain intact: 3 events verified");

    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keygate.db"));
        Statement s = c.createStatement()) {
      assertThat(s.executeUpdate("UPDATE audit_log SET actor='x' WHERE seq=2")).isEqualTo(1);
    }

    Run broken = cli("audit", "verify", "--data-dir", dir.toString());
    assertThat(broken.exit()).isEqualTo(1);
    assertThat(broken.err()).contains("audit chain BROKEN");
  }

  @Test
  void errors_neverPrintAPasswordFromAUrl() {
    String pw = "Hunter2-cli-9";
    Run unreachable =
        cli(
            Map.of("KEYGATE_TOKEN", "x", "KEYGATE_URL", "http://admin:" + pw + "@127.0.0.1:1"),
            "keys",
            "list");
    assertThat(unreachable.exit()).isEqualTo(1);
    assertThat(unreachable.err()).contains("error:").contains("****").doesNotContain(pw);
    Run badDatabase =
        cli(
            "audit",
            "verify",
            "--data-dir",
            dir.toString(),
            "--database-url",
            "mysql://root:" + pw + "@db/keys?password=" + pw);
    assertThat(badDatabase.exit()).isEqualTo(1);
    assertThat(badDatabase.err()).contains("error:").doesNotContain(pw);
  }

  @Test
  void keysCommands_driveARunningServer() {
    try (TestServer t = servers.start(dir)) {
      Map<String, String> env = Map.of("KEYGATE_TOKEN", t.adminToken, "KEYGATE_URL", t.base);

      Run created =
          cli(
              env,
              "keys",
              "create",
              "--owner-id",
              "acme",
              "--scopes",
              "read,write",
              "--name",
              "cli key",
              "--expires-in-days",
              "90");
      assertThat(created.exit()).as(created.err()).isZero();
      JsonNode k = created.json();
      String id = k.path("key_id").asText();
      String raw = k.path("api_key").asText();
      assertThat(k.path("scopes").toString()).isEqualTo("[\"read\",\"write\"]");
      assertThat(created.err()).contains("never show it again");
      assertThat(t.verify(raw).path("code").asText()).isEqualTo("valid");

      Run list = cli(env, "keys", "list", "--owner-id", "acme");
      assertThat(list.exit()).isZero();
      assertThat(list.out()).contains("KEY ID").contains(id).contains("read,write");
      assertThat(list.out()).doesNotContain(raw);
      Run listJson = cli(env, "keys", "list", "--owner-id", "acme", "--json");
      assertThat(listJson.json().path("data").get(0).path("key_id").asText()).isEqualTo(id);

      Run show = cli(env, "keys", "show", id);
      assertThat(show.exit()).isZero();
      assertThat(show.json().path("name").asText()).isEqualTo("cli key");

      Run rotated = cli(env, "keys", "rotate", id, "--grace-period-hours", "0");
      assertThat(rotated.exit()).as(rotated.err()).isZero();
      String newId = rotated.json().path("new_key").path("key_id").asText();
      assertThat(rotated.json().path("old_key_id").asText()).isEqualTo(id);
      assertThat(t.verify(raw).path("code").asText()).isEqualTo("key_revoked");

      Run revoked = cli(env, "keys", "revoke", newId, "--reason", "done");
      assertThat(revoked.exit()).isZero();
      assertThat(revoked.json().path("status").asText()).isEqualTo("revoked");
      assertThat(revoked.json().path("revoke_reason").asText()).isEqualTo("done");

      Run missing = cli(env, "keys", "show", "key_nope");
      assertThat(missing.exit()).isEqualTo(1);
      assertThat(missing.err()).contains("not_found (HTTP 404)");
    }
  }

  @Test
  void keysCommands_withoutToken_explainWhatToSet() {
    Run r = cli(Map.of("KEYGATE_URL", "http://127.0.0.1:1"), "keys", "list");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("set KEYGATE_TOKEN");
  }

  @Test
  void keysCommands_unreachableServer_failsCleanly() {
    Run r =
        cli(Map.of("KEYGATE_TOKEN", "kg_admin_x"), "keys", "list", "--url", "http://127.0.0.1:1");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("cannot reach Keygate at http://127.0.0.1:1");
  }

  @Test
  void unknownCommandOrOption_isAUsageError() {
    assertThat(cli("frobnicate").exit()).isEqualTo(2);
    assertThat(cli("keys", "create").exit()).isEqualTo(2);
    assertThat(cli("--help").exit()).isZero();
    assertThat(cli("keys", "list", "--json").exit()).isEqualTo(1);
    assertThat(List.of(cli("--version").out())).allMatch(s -> s.startsWith("keygate "));
  }
}
