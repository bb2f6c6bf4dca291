package io.keygate.server.leaks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.leaks.LeakPolicy;
import io.keygate.scan.ScanCommand;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.http.Json;
import io.keygate.server.testing.LeakServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ObjectAssert;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Report intake ({@code POST /v1/leaks/reports}) for gitleaks, TruffleHog and Keygate's own. */
class LeakReportsTest extends LeakServerPerTest {
  private LeakServer.Response report(String format, String body) {
    return reportAs(s.adminToken, format, body);
  }

  private LeakServer.Response reportAs(String token, String format, String body) {
    return s.send(
        "POST",
        "/v1/leaks/reports?format=" + format,
        token,
        body.getBytes(StandardCharsets.UTF_8),
        "Content-Type",
        "application/json");
  }

  /** Restarts the server on a fresh data directory with the default settings but {@code policy}. */
  private void restartWith(String data, LeakPolicy policy) {
    s.close();
    LeakConfig d = LeakConfig.defaults();
    s =
        servers.startLeaks(
            dir.resolve(data),
            new LeakConfig(
                d.senders(),
                d.keysCacheTtl(),
                d.keysRefetchInterval(),
                d.maxReportBytes(),
                d.maxPartnerBytes(),
                policy));
  }

  /** Asserts there is exactly one incident of key {@code keyId}; that one. */
  private ObjectAssert<LeakIncident> assertThatOnlyIncidentOf(String keyId) {
    return assertThat(incidents()).filteredOn(i -> i.keyId().equals(keyId)).singleElement();
  }

  /** A gitleaks report (a JSON array) of {@code findings}. */
  @SafeVarargs
  private static String gitleaksReport(Map<String, Object>... findings) {
    return Json.MAPPER.valueToTree(List.of(findings)).toString();
  }

  /** A Keygate report ({@code {"findings":[{"key":…},…]}}) of {@code keys}. */
  private static String keygateReport(String... keys) {
    StringBuilder findings = new StringBuilder("{\"findings\":[");
    for (int i = 0; i < keys.length; i++) {
      findings.append(i == 0 ? "" : ",").append("{\"key\":\"").append(keys[i]).append("\"}");
    }
    return findings + "]}";
  }

  private List<LeakIncident> incidents() {
    return s.server.keygate().store().incidents(new IncidentQuery(null, null, 500, null)).items();
  }

  /** One gitleaks finding in the documented report fields. */
  private static Map<String, Object> gitleaksFinding(String secret, String match, String file) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Description", "Keygate live secret");
    m.put("StartLine", 12);
    m.put("EndLine", 12);
    m.put("StartColumn", 9);
    m.put("EndColumn", 66);
    m.put("Match", match);
    m.put("Secret", secret);
    m.put("File", file);
    m.put("SymlinkFile", "");
    m.put("Commit", "1b6da43b82b22e4eaa10bcf8ee591e91abbfc587");
    m.put("Entropy", 5.6);
    m.put("Author", "Alice");
    m.put("Email", "alice@example.com");
    m.put("Date", "2026-03-01T12:00:00Z");
    m.put("Message", "add config");
    m.put("Tags", List.of());
    m.put("RuleID", "keygate-live-secret");
    m.put("Fingerprint", "1b6da43b:" + file + ":keygate-live-secret:12");
    return m;
  }

  @Test
  void gitleaksReport_revokesExactlyTheLiveKeys_recordsTestKeys_andRepeatChangesNothing() {
    String[] live1 = s.createKey("acme", "live_secret");
    String[] live2 = s.createKey("acme", "live_public");
    String[] test = s.createKey("acme", "test_secret");
    String[] bystander = s.createKey("acme", "live_secret");
    String body =
        gitleaksReport(
            gitleaksFinding(live1[1], "API_KEY=\"" + live1[1] + "\"", "app/config.py"),
            gitleaksFinding(live2[1], "key: " + live2[1], "web/app.js"),
            gitleaksFinding(test[1], test[1], "tests/fixtures.py"),
            gitleaksFinding("sk_live_notakey", "sk_live_notakey", "README.md"));

    JsonNode sum = report("gitleaks", body).json();
    assertThat(sum.get("received").asInt()).isEqualTo(4);
    assertThat(sum.get("confirmed").asInt()).isEqualTo(3);
    assertThat(sum.get("revoked").asInt()).isEqualTo(2);
    assertThat(sum.get("test_keys").asInt()).isEqualTo(1);
    assertThat(sum.get("incidents")).hasSize(3);
    assertThat(sum.toString()).doesNotContain(live1[1]).doesNotContain(test[1]);
    assertThat(s.verify(live1[1])).isEqualTo("key_revoked");
    assertThat(s.verify(live2[1])).isEqualTo("key_revoked");
    assertThat(s.verify(test[1])).isEqualTo("valid");
    assertThat(s.verify(bystander[1])).isEqualTo("valid");
    assertThatOnlyIncidentOf(live1[0])
        .satisfies(
            i -> {
              assertThat(i.source()).isEqualTo("gitleaks");
              assertThat(i.location().file()).isEqualTo("app/config.py");
              assertThat(i.location().line()).isEqualTo(12);
              assertThat(i.location().commit()).startsWith("1b6da43b");
            });

    JsonNode again = report("gitleaks", body).json();
    assertThat(again.get("revoked").asInt()).isZero();
    assertThat(again.get("repeats").asInt()).isEqualTo(3);
    assertThat(again.get("incidents")).isEmpty();
    assertThat(incidents()).hasSize(3);
  }

  @Test
  void leakedDisabledKey_underARotatePolicy_isRotatedToADisabledKey() {
    restartWith("data-rotate", new LeakPolicy(Map.of("live_public", Duration.ofHours(1))));
    String[] key = s.createKey("acme", "live_public");
    assertThat(s.post("/v1/keys/" + key[0] + "/disable", Map.of()).status()).isEqualTo(200);
    String body = gitleaksReport(gitleaksFinding(key[1], "key: " + key[1], "web/app.js"));

    JsonNode sum = report("gitleaks", body).json();

    assertThat(sum.get("rotated").asInt()).isEqualTo(1);
    String successor = s.get("/v1/keys/" + key[0]).json().get("rotated_to").asText();
    assertThat(s.get("/v1/keys/" + successor).json().get("status").asText())
        .as("the leak response must not re-enable what an administrator disabled")
        .isEqualTo("disabled");
    assertThat(s.verify(key[1])).isEqualTo("key_disabled");
  }

  @Test
  void redactedGitleaksReport_is422() {
    String[] live = s.createKey("acme", "live_secret");
    String body =
        gitleaksReport(gitleaksFinding("REDACTED", "API_KEY=\"REDACTED\"", "app/config.py"));
    LeakServer.Response r = report("gitleaks", body);
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("error").asText()).isEqualTo("no_keys_in_report");
    assertThat(r.json().get("message").asText()).contains("--redact");
    assertThat(s.verify(live[1])).isEqualTo("valid");
  }

  private static String trufflehogLine(String raw, String file, long line, String detector) {
    Map<String, Object> git = new LinkedHashMap<>();
    git.put("commit", "0416560b1330d8ac42045813251d85c688717eaf");
    git.put("file", file);
    git.put("email", "alice <alice@example.com>");
    git.put("repository", "https://github.com/octo/repo");
    git.put("timestamp", "2026-03-01 12:00:00 +0000");
    git.put("line", line);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("SourceMetadata", Map.of("Data", Map.of("Git", git)));
    m.put("SourceID", 1);
    m.put("SourceType", 7);
    m.put("SourceName", "trufflehog - git");
    m.put("DetectorType", 1000);
    m.put("DetectorName", detector);
    m.put("DecoderName", "PLAIN");
    m.put("Verified", false);
    m.put("Raw", raw);
    m.put("RawV2", "");
    m.put("Redacted", "");
    m.put("ExtraData", null);
    m.put("StructuredData", null);
    return Json.MAPPER.valueToTree(m).toString();
  }

  @Test
  void trufflehogNdjson_revokesLiveKeysEvenInsideLongerSecrets() {
    String[] live = s.createKey("acme", "live_secret");
    String[] embedded = s.createKey("globex", "live_restricted");
    String[] test = s.createKey("acme", "test_public");
    String body =
        String.join(
                "\n",
                trufflehogLine(live[1], "config/prod.env", 3, "KeygateKey"),
                "",
                trufflehogLine(
                    "postgres://u:p@db/app?api_key=" + embedded[1] + "&x=1",
                    "docker-compose.yml",
                    17,
                    "URI"),
                trufflehogLine(test[1], "tests/data.json", 1, "KeygateKey"),
                trufflehogLine("AKIAIOSFODNN7EXAMPLE", "aws.txt", 1, "AWS"))
            + "\n";
    JsonNode sum = report("trufflehog", body).json();
    assertThat(sum.get("received").asInt()).isEqualTo(4);
    assertThat(sum.get("revoked").asInt()).isEqualTo(2);
    assertThat(sum.get("test_keys").asInt()).isEqualTo(1);
    assertThat(s.verify(live[1])).isEqualTo("key_revoked");
    assertThat(s.verify(embedded[1])).isEqualTo("key_revoked");
    assertThat(s.verify(test[1])).isEqualTo("valid");
    assertThatOnlyIncidentOf(embedded[0])
        .satisfies(
            i -> {
              assertThat(i.source()).isEqualTo("trufflehog");
              assertThat(i.location().file()).isEqualTo("docker-compose.yml");
              assertThat(i.location().line()).isEqualTo(17);
              assertThat(i.location().url()).isEqualTo("https://github.com/octo/repo");
            });
    JsonNode again = report("trufflehog", body).json();
    assertThat(again.get("revoked").asInt()).isZero();
    assertThat(incidents()).hasSize(3);
  }

  @Test
  void garbageReports_are400WithPreciseCodes_never500() {
    String[] live = s.createKey("acme", "live_secret");
    Object[][] cases = {
      {"trufflehog", trufflehogLine(live[1], "a", 1, "K") + "\n{not json\n", "line 2"},
      {"trufflehog", "[1,2]", "line 1"},
      {"trufflehog", "", "no TruffleHog"},
      {"gitleaks", "{\"Secret\": 1}", "array"},
      {"gitleaks", "[1]", "[0]"},
      {"gitleaks", "[{\"Secret\": \"x\"", "not valid JSON"},
      {"keygate", "[]", "findings"},
      {"keygate", "{\"findings\": [{\"key\": 5}]}", "findings[0].key"},
      {"keygate", "\u0000\u0001garbage", "not valid JSON"},
    };
    for (Object[] c : cases) {
      LeakServer.Response r = report((String) c[0], (String) c[1]);
      assertThat(r.status()).as(c[0] + ": " + c[1] + " -> " + r.body()).isEqualTo(400);
      assertThat(r.json().get("error").asText()).isEqualTo("invalid_report");
      assertThat(r.json().get("message").asText()).contains((String) c[2]);
    }
    assertThat(report("yaml", "{}").json().get("error").asText()).isEqualTo("invalid_format");
    assertThat(s.verify(live[1])).isEqualTo("valid");
    assertThat(incidents()).isEmpty();
  }

  @Test
  void reportsNeedLeaksWriteScope_andIncidentsAreOwnerRestricted() {
    String[] acme = s.createKey("acme", "live_secret");
    String[] globex = s.createKey("globex", "live_secret");
    String body = keygateReport(acme[1], globex[1]);
    String readOnly = s.token(null, List.of("keys:read"));
    assertThat(
            s.send("POST", "/v1/leaks/reports", readOnly, body.getBytes(StandardCharsets.UTF_8))
                .status())
        .isEqualTo(403);
    assertThat(s.send("POST", "/v1/leaks/reports", null, new byte[0]).status()).isEqualTo(401);
    assertThat(report("keygate", body).json().get("revoked").asInt()).isEqualTo(2);

    String acmeToken = s.token("acme", List.of("keys:read"));
    JsonNode mine = s.send("GET", "/v1/leaks", acmeToken, null).json();
    assertThat(mine.get("data")).hasSize(1);
    assertThat(mine.get("data").get(0).get("owner_id").asText()).isEqualTo("acme");
    assertThat(s.send("GET", "/v1/leaks?owner_id=globex", acmeToken, null).json().get("data"))
        .isEmpty();
    JsonNode page = s.get("/v1/leaks?limit=1").json();
    assertThat(page.get("data")).hasSize(1);
    JsonNode next = s.get("/v1/leaks?limit=1&cursor=" + page.get("next_cursor").asText()).json();
    assertThat(next.get("data")).hasSize(1);
    assertThat(next.get("data").get(0).get("incident_id"))
        .isNotEqualTo(page.get("data").get(0).get("incident_id"));
    assertThat(s.get("/v1/leaks?cursor=%25%25").status()).isEqualTo(400);
  }

  @Test
  void ownerLimitedReporter_actsOnlyOnItsOwnersKeys_inEveryFormat_andNeverLearnsOfCanaries() {
    String[] mine = s.createKey("acme", "live_secret");
    String[] theirs1 = s.createKey("globex", "live_secret");
    String[] theirs2 = s.createKey("globex", "live_public");
    String[] theirs3 = s.createKey("globex", "live_restricted");
    String globexToken = s.token("globex", List.of("keys:read"));
    String acmeToken = s.token("acme", List.of("keys:read"));
    String rootToken = s.token(null, List.of("keys:read"));
    String acmeCanary = canary("acme");
    String globexCanary = canary("globex");
    String reporter = s.token("acme", List.of("leaks:write"));
    int eventsBefore = s.server.keygate().store().outbox(null, null, 1000).size();

    List<String> keys =
        List.of(mine[1], theirs1[1], globexToken, acmeToken, rootToken, acmeCanary, globexCanary);
    JsonNode sum = reportAs(reporter, "keygate", keygateReport(keys.toArray(String[]::new))).json();
    assertThat(sum.get("confirmed").asInt()).isEqualTo(7);
    assertThat(sum.get("revoked").asInt()).isEqualTo(1);
    assertThat(sum.get("canaries").asInt()).isZero();
    assertThat(sum.get("unknown").asInt()).isEqualTo(6);
    assertThat(sum.get("incidents")).hasSize(1);

    JsonNode gitleaks =
        reportAs(
                reporter,
                "gitleaks",
                gitleaksReport(gitleaksFinding(theirs2[1], theirs2[1], "x.py")))
            .json();
    assertThat(gitleaks.get("revoked").asInt()).isZero();
    assertThat(gitleaks.get("unknown").asInt()).isEqualTo(1);
    JsonNode truffle =
        reportAs(reporter, "trufflehog", trufflehogLine(theirs3[1], "y.env", 1, "K") + "\n").json();
    assertThat(truffle.get("revoked").asInt()).isZero();
    assertThat(truffle.get("unknown").asInt()).isEqualTo(1);

    assertThat(s.verify(mine[1])).isEqualTo("key_revoked");
    for (String[] k : List.of(theirs1, theirs2, theirs3)) {
      assertThat(s.verify(k[1])).isEqualTo("valid");
    }
    for (String token : List.of(globexToken, acmeToken, rootToken)) {
      assertThat(s.send("GET", "/v1/whoami", token, null).status()).isEqualTo(200);
    }
    // Its own owner's canary was still recorded and raised its alarm; the other owner's was not
    // touched at all (no incident, no event for globex).
    List<LeakIncident> all = incidents();
    assertThat(all).extracting(LeakIncident::ownerId).containsOnly("acme");
    assertThat(all)
        .extracting(i -> i.action().wire())
        .containsExactlyInAnyOrder("revoked", "canary_recorded");
    assertThat(s.server.keygate().store().outbox(null, null, 1000).subList(0, 2))
        .extracting(e -> e.ownerId())
        .containsOnly("acme");
    assertThat(s.server.keygate().store().outbox(null, null, 1000)).hasSize(eventsBefore + 2);
    // an unrestricted reporter is still told about canaries
    JsonNode operator =
        report("keygate", "{\"findings\":[{\"key\":\"" + globexCanary + "\",\"file\":\"z\"}]}")
            .json();
    assertThat(operator.get("canaries").asInt()).isEqualTo(1);
  }

  @Test
  void leakedAdminToken_isRevoked_neverRotated_evenUnderARotatePolicy() {
    restartWith(
        "data-tokens",
        new LeakPolicy(Map.of("admin", Duration.ofHours(1), "live_secret", Duration.ofHours(1))));
    String token = s.token("acme", List.of("keys:read"));
    String[] key = s.createKey("acme", "live_secret");
    JsonNode sum = report("keygate", keygateReport(token, key[1])).json();
    assertThat(sum.get("revoked").asInt()).isEqualTo(1);
    assertThat(sum.get("rotated").asInt()).isEqualTo(1);
    assertThat(s.send("GET", "/v1/whoami", token, null).status()).isEqualTo(401);
    assertThat(s.verify(key[1])).isEqualTo("valid"); // in its grace period
    assertThat(
            s.get("/v1/admin-tokens?status=active").json().get("data").findValuesAsText("owner_id"))
        .doesNotContain("acme");
  }

  private String canary(String owner) {
    return s.post("/v1/canaries", LeakServer.map("owner_id", owner, "label", "wiki"))
        .json()
        .get("api_key")
        .asText();
  }

  @Test
  void keygateScanReportTo_revokesTheKeyItFinds() throws Exception {
    String[] live = s.createKey("acme", "live_secret");
    Path repo = Files.createDirectories(dir.resolve("repo"));
    Files.writeString(repo.resolve("settings.py"), "API_KEY = '" + live[1] + "'\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ScanCommand cmd =
        new ScanCommand(
            KeyTypes.defaults(),
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of(ScanCommand.TOKEN_ENV, s.token(null, List.of("leaks:write"))));
    int exit =
        new CommandLine(cmd)
            .execute(repo.toString(), "--quiet", "--no-gitignore", "--report-to", s.base);
    assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(ScanCommand.EXIT_FOUND);
    assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain(live[1]);
    assertThat(s.verify(live[1])).isEqualTo("key_revoked");
    assertThat(incidents())
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.source()).isEqualTo("keygate-scan");
              assertThat(i.location().file()).endsWith("settings.py");
              assertThat(i.location().line()).isEqualTo(1);
            });
  }
}
