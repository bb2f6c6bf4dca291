package io.keygate.server.leaks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.verify.LegacyKeys;
import io.keygate.scan.ScanCommand;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.http.Json;
import io.keygate.server.testing.GitHubSigner;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.LeakServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Issue 20 against a real server on SQLite: keys imported in the practice guide's format ({@code
 * sk_live_} + {@code token_urlsafe(32)}) are revoked through every leak path; exposure times,
 * record-only reports and the statistics of {@code GET /v1/leaks}; the anonymous public endpoint.
 */
class LeakBlindSpotsTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String KEY_ID = "k1";

  @TempDir Path dir;
  private LeakServer s;
  private GitHubSigner signer;

  @BeforeEach
  void start() throws Exception {
    signer = new GitHubSigner(KEY_ID);
    Path keys = dir.resolve("github-keys.json");
    signer.writeKeysFile(keys);
    s =
        servers.startLeaks(
            dir.resolve("data"),
            LeakConfig.fromEnv(
                Map.of(
                    "KEYGATE_GITHUB_KEYS_FILE",
                    keys.toString(),
                    "KEYGATE_PUBLIC_LEAK_REPORTS_PER_MINUTE",
                    "5")));
  }

  /** Distinct imported prefixes {@code GET /v1/leaks/formats} lists for {@code token}. */
  private List<String> formatsPrefixes(String token, String query) {
    LeakServer.Response r = s.send("GET", "/v1/leaks/formats" + query, token, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    r.json().get("imported_prefixes").forEach(n -> out.add(n.asText()));
    return out;
  }

  @Test
  void formats_ownerLimitedToken_seesOnlyItsOwnersImportedPrefixes_inEveryVariant() {
    importKey("acme", "acmepay_", "acmepay_" + guideKey().substring(8));
    importKey("globex", "globexcorp_", "globexcorp_" + guideKey().substring(8));
    importKey("globex", null, guideKey().substring(8));
    String acme = s.token("acme", List.of("leaks:write"));
    String globex = s.token("globex", List.of("leaks:write"));
    String initech = s.token("initech", List.of("leaks:write"));
    String root = s.token(null, List.of("leaks:write"));

    assertThat(formatsPrefixes(root, "")).containsExactly("", "acmepay_", "globexcorp_");
    assertThat(formatsPrefixes(s.adminToken, "")).containsExactly("", "acmepay_", "globexcorp_");
    assertThat(formatsPrefixes(acme, "")).containsExactly("acmepay_");
    assertThat(formatsPrefixes(globex, "")).containsExactly("", "globexcorp_");
    assertThat(formatsPrefixes(initech, "")).isEmpty();
    // Asking for another owner changes nothing: the token's owner decides.
    assertThat(formatsPrefixes(acme, "?owner_id=globex")).containsExactly("acmepay_");
    assertThat(formatsPrefixes(initech, "?owner_id=acme&owner_id=globex")).isEmpty();
    // Native key prefixes are public knowledge (they are in the docs) and listed for everyone.
    assertThat(s.send("GET", "/v1/leaks/formats", initech, null).json().get("key_prefixes"))
        .isNotEmpty();
    // The scope is still required, owner-limited or not.
    assertThat(
            s.send("GET", "/v1/leaks/formats", s.token("acme", List.of("keys:read")), null)
                .status())
        .isEqualTo(403);
    assertThat(s.send("GET", "/v1/leaks/formats", null, null).status()).isEqualTo(401);
  }

  /** The practice guide's format: {@code sk_live_} + Python's {@code token_urlsafe(32)}. */
  private static String guideKey() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return "sk_live_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Imports a fresh guide-format key and returns it; it verifies before any report. */
  private String importGuideKey() {
    return importKey("sk_live_", guideKey());
  }

  /** Imports {@code raw} with {@code prefix} and returns it; it verifies before any report. */
  private String importKey(String prefix, String raw) {
    return importKey("migrated", prefix, raw);
  }

  /**
   * Imports {@code raw} for {@code owner} with {@code prefix} (none when null) and returns it; it
   * verifies before any report.
   */
  private String importKey(String owner, String prefix, String raw) {
    String line =
        "{\"sha256\":\""
            + LegacyKeys.sha256Hex(raw)
            + (prefix == null ? "" : "\",\"prefix\":\"" + prefix)
            + "\",\"owner_id\":\""
            + owner
            + "\",\"scopes\":[\"read\"]}";
    LeakServer.Response r =
        s.send(
            "POST",
            "/v1/keys/import",
            s.adminToken,
            line.getBytes(StandardCharsets.UTF_8),
            "Content-Type",
            "application/x-ndjson");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(s.verify(raw)).isEqualTo("valid");
    return raw;
  }

  private LeakServer.Response report(String format, String mode, String body, String type) {
    return s.send(
        "POST",
        "/v1/leaks/reports?format=" + format + (mode == null ? "" : "&mode=" + mode),
        s.adminToken,
        body.getBytes(StandardCharsets.UTF_8),
        "Content-Type",
        type);
  }

  private static String gitleaks(String key, String date) throws Exception {
    return Json.MAPPER.writeValueAsString(
        List.of(
            Map.of(
                "Description",
                "Generic API Key",
                "Secret",
                key,
                "Match",
                "API_KEY = \"" + key + "\"",
                "File",
                "app/settings.py",
                "StartLine",
                3,
                "Commit",
                "1b6da43b82b22e4eaa10bcf8ee591e91abbfc587",
                "Date",
                date)));
  }

  private static String trufflehog(String key, String timestamp) throws Exception {
    return Json.MAPPER.writeValueAsString(
        Map.of(
            "SourceMetadata",
            Map.of(
                "Data",
                Map.of(
                    "Git",
                    Map.of(
                        "commit", "9c1e2d",
                        "file", "deploy/env",
                        "line", 7,
                        "timestamp", timestamp,
                        "repository", "https://github.com/octo/app"))),
            "DetectorName",
            "Generic",
            "Raw",
            key));
  }

  private LeakServer.Response publicReport(String json, String... headers) {
    List<String> h = new ArrayList<>(List.of("Content-Type", "application/json"));
    h.addAll(List.of(headers));
    return s.send(
        "POST",
        "/v1/leaks/public",
        null,
        json.getBytes(StandardCharsets.UTF_8),
        h.toArray(String[]::new));
  }

  private JsonNode stats() {
    return s.get("/v1/leaks").json().get("stats");
  }

  @Test
  void importedGuideKey_gitleaksReport_isRevoked_andExposureTimeIsTheCommitDate() throws Exception {
    String key = importGuideKey();
    Instant committed = Instant.now().minus(Duration.ofMinutes(30)).truncatedTo(ChronoUnit.SECONDS);
    JsonNode r =
        report("gitleaks", null, gitleaks(key, committed.toString()), "application/json").json();
    assertThat(r.get("revoked").asInt()).as(r.toString()).isEqualTo(1);
    assertThat(s.verify(key)).isEqualTo("key_revoked");

    JsonNode incident = s.get("/v1/leaks").json().get("data").get(0);
    assertThat(incident.get("exposure").asText()).isEqualTo("exposed");
    assertThat(Instant.parse(incident.get("exposed_at").asText())).isEqualTo(committed);
    assertThat(incident.get("time_to_revocation_ms").asLong())
        .isGreaterThanOrEqualTo(Duration.ofMinutes(30).toMillis());
    JsonNode st = stats();
    assertThat(st.get("exposed_keys").asLong()).isEqualTo(1);
    assertThat(st.get("exposure_to_revocation").get("mean_minutes").asDouble())
        .isBetween(30.0, 31.0); // from the commit date, not 0.0 from the report
    assertThat(st.get("report_to_revocation").get("mean_minutes").asDouble()).isLessThan(0.5);
  }

  /**
   * A key imported with a prefix outside Keygate's own rule (upper case and '-') is found inside a
   * report field that holds more than the key, not only when the field holds the key alone.
   */
  @Test
  void importedKeyWithAnyPrefix_insideALongerReportField_isRevoked() throws Exception {
    String key = importKey("Acme-", "Acme-" + guideKey().substring("sk_live_".length()));
    String body =
        "{\"findings\":[{\"key\":\"export ACME_TOKEN=" + key + ";\",\"file\":\"deploy.sh\"}]}";
    JsonNode r = report("keygate", null, body, "application/json").json();
    assertThat(r.get("revoked").asInt()).as(r.toString()).isEqualTo(1);
    assertThat(s.verify(key)).isEqualTo("key_revoked");
  }

  @Test
  void importedGuideKey_trufflehogReport_isRevoked_withItsTimestamp() throws Exception {
    String key = importGuideKey();
    JsonNode r =
        report(
                "trufflehog",
                null,
                trufflehog(key, "2026-01-02 03:04:05 -0700"),
                "application/x-ndjson")
            .json();
    assertThat(r.get("revoked").asInt()).as(r.toString()).isEqualTo(1);
    assertThat(s.verify(key)).isEqualTo("key_revoked");
    JsonNode incident = s.get("/v1/leaks").json().get("data").get(0);
    assertThat(incident.get("exposed_at").asText()).isEqualTo("2026-01-02T10:04:05Z");
  }

  @Test
  void importedGuideKey_githubReport_isTruePositive_andRevoked() throws Exception {
    String key = importGuideKey();
    String unknown = guideKey();
    byte[] body =
        Json.write(
            List.of(
                Map.of("token", key, "type", "keygate", "url", "https://github.com/o/r/blob/x/a"),
                Map.of("token", unknown, "type", "keygate", "url", "https://github.com/o/r")));
    LeakServer.Response r =
        s.send(
            "POST",
            "/v1/secret-scanning/github",
            null,
            body,
            "Content-Type",
            "application/json",
            "Github-Public-Key-Identifier",
            KEY_ID,
            "Github-Public-Key-Signature",
            signer.sign(body));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().findValuesAsText("label"))
        .containsExactly("true_positive", "false_positive");
    assertThat(s.verify(key)).isEqualTo("key_revoked");
  }

  @Test
  void importedGuideKey_scannerReportTo_findsAndRevokesIt_aStagedScanKeepsIt() throws Exception {
    String key = importGuideKey();
    String staged = importGuideKey();
    Path repo = Files.createDirectories(dir.resolve("repo"));
    Files.writeString(repo.resolve("settings.py"), "API_KEY = '" + key + "'\n");
    assertThat(scan(key, repo.toString())).isEqualTo(ScanCommand.EXIT_FOUND);
    assertThat(s.verify(key)).isEqualTo("key_revoked");

    try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
      Files.writeString(repo.resolve("next.py"), "API_KEY = '" + staged + "'\n");
      git.add().addFilepattern("next.py").call();
    }
    assertThat(scan(staged, "--staged", repo.toString())).isEqualTo(ScanCommand.EXIT_FOUND);
    assertThat(s.verify(staged)).as("record-only: a staged catch keeps the key").isEqualTo("valid");
    JsonNode latest = s.get("/v1/leaks").json().get("data").get(0);
    assertThat(latest.get("exposure").asText()).isEqualTo("prevented");
    assertThat(latest.get("action").asText()).isEqualTo("prevented_recorded");
    assertThat(stats().get("prevented_keys").asLong()).isEqualTo(1);
  }

  /** Runs the scanner with {@code --report-to}; {@code secret} must appear in no output. */
  private int scan(String secret, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ScanCommand cmd =
        new ScanCommand(
            KeyTypes.defaults(),
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of(ScanCommand.TOKEN_ENV, s.token(null, List.of("leaks:write"))));
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--quiet", "--no-gitignore", "--report-to", s.base));
    int exit = new CommandLine(cmd).execute(all.toArray(String[]::new));
    assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain(secret);
    assertThat(err.toString(StandardCharsets.UTF_8)).doesNotContain(secret).doesNotContain("error");
    return exit;
  }

  @Test
  void recordOnlyReport_keepsTheKeyValid_countsAsPrevented_andStaysOutOfTheAverages()
      throws Exception {
    String[] live = s.createKey("acme", "live_secret");
    String body = "{\"findings\":[{\"key\":\"" + live[1] + "\",\"file\":\"a.py\",\"line\":1}]}";
    JsonNode r = report("keygate", "prevented", body, "application/json").json();
    assertThat(r.get("prevented").asInt()).isEqualTo(1);
    assertThat(r.get("revoked").asInt()).isZero();
    assertThat(r.get("mode").asText()).isEqualTo("prevented");
    assertThat(s.verify(live[1])).isEqualTo("valid");
    JsonNode st = stats();
    assertThat(st.get("prevented_keys").asLong()).isEqualTo(1);
    assertThat(st.get("exposed_keys").asLong()).isZero();
    assertThat(st.get("exposure_to_revocation").get("count").asLong()).isZero();
    // a finding at a public URL is exposure whatever the mode says
    String[] other = s.createKey("acme", "live_secret");
    JsonNode g =
        report(
                "gitleaks",
                "prevented",
                Json.MAPPER.writeValueAsString(
                    List.of(
                        Map.of(
                            "Secret", other[1],
                            "File", "x.py",
                            "Link", "https://github.com/o/r/blob/main/x.py"))),
                "application/json")
            .json();
    assertThat(g.get("revoked").asInt()).isEqualTo(1);
    assertThat(report("keygate", "maybe", body, "application/json").status()).isEqualTo(400);
  }

  @Test
  void canariesAndTestKeys_stayOutOfTheLeakAverages() throws Exception {
    String[] live = s.createKey("acme", "live_secret");
    String[] test = s.createKey("acme", "test_secret");
    String canary =
        s.post("/v1/canaries", LeakServer.map("owner_id", "acme", "label", "wiki"))
            .json()
            .get("api_key")
            .asText();
    String old = Instant.now().minus(Duration.ofDays(9)).toString();
    report("gitleaks", null, gitleaks(test[1], old), "application/json");
    report("gitleaks", null, gitleaks(canary, old), "application/json");
    String recent = Instant.now().minus(Duration.ofMinutes(5)).toString();
    report("gitleaks", null, gitleaks(live[1], recent), "application/json");

    JsonNode st = stats();
    assertThat(st.get("exposed_keys").asLong()).isEqualTo(2); // live and test; not the canary
    assertThat(st.get("canary_incidents").asLong()).isEqualTo(1);
    assertThat(st.get("test_keys").asLong()).isEqualTo(1);
    assertThat(st.get("exposure_to_revocation").get("count").asLong()).isEqualTo(1);
    assertThat(st.get("exposure_to_revocation").get("mean_minutes").asDouble())
        .isBetween(5.0, 6.0); // nine-day-old canary and test-key sightings left out
    String md = s.send("GET", "/v1/report?format=md", s.adminToken, null).body();
    assertThat(md).contains("- Keys detected in public repos: 2");
  }

  @Test
  void publicReport_revokesImportedAndNativeKeys_withTheSameAnswerForUnknownOnes() {
    String imported = importGuideKey();
    String[] live = s.createKey("acme", "live_secret");
    LeakServer.Response hit =
        publicReport(
            "{\"keys\":[\""
                + imported
                + "\",\""
                + live[1]
                + "\"],\"url\":\"https://paste.example/x\"}");
    LeakServer.Response miss =
        publicReport("{\"keys\":[\"" + guideKey() + "\",\"" + "nonsense" + "\"]}");
    assertThat(hit.status()).isEqualTo(202);
    assertThat(miss.status()).isEqualTo(202);
    assertThat(hit.json().get("message")).isEqualTo(miss.json().get("message"));
    assertThat(hit.json().get("received")).isEqualTo(miss.json().get("received"));
    assertThat(hit.body()).doesNotContain(imported).doesNotContain(live[1]);
    assertThat(s.verify(imported)).isEqualTo("key_revoked");
    assertThat(s.verify(live[1])).isEqualTo("key_revoked");
    JsonNode incident = s.get("/v1/leaks").json().get("data").get(0);
    assertThat(incident.get("source").asText()).isEqualTo("public");
    assertThat(incident.get("reporter").asText()).isEqualTo("public-report");
  }

  @Test
  void publicReport_aKeyRepeatedAThousandTimes_inAnySpacing_isHandledOnce() {
    String[] live = s.createKey("acme", "live_secret");
    String[] other = s.createKey("globex", "live_secret");
    String imported = importGuideKey();
    String[] spellings = {
      live[1], " " + live[1], live[1] + "\n", "\t" + live[1] + " ", imported, " " + imported
    };
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < LeakConfig.MAX_PUBLIC_KEYS - 2; i++) {
      keys.add(spellings[i % spellings.length]);
    }
    keys.add(other[1]);
    keys.add("not a key");
    LeakServer.Response r =
        publicReport(new String(Json.write(Map.of("keys", keys)), StandardCharsets.UTF_8));
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    assertThat(r.json().get("received").asInt()).isEqualTo(LeakConfig.MAX_PUBLIC_KEYS);
    assertThat(s.verify(live[1])).isEqualTo("key_revoked");
    assertThat(s.verify(imported)).isEqualTo("key_revoked");
    assertThat(s.verify(other[1])).isEqualTo("key_revoked");
    JsonNode incidents = s.get("/v1/leaks").json().get("data");
    assertThat(incidents.findValuesAsText("key_id"))
        .as("one incident per distinct key, however often it was repeated")
        .hasSize(3)
        .doesNotHaveDuplicates();
    // Repeating the whole report (every key already handled) changes nothing.
    assertThat(
            publicReport(new String(Json.write(Map.of("keys", keys)), StandardCharsets.UTF_8))
                .status())
        .isEqualTo(202);
    assertThat(
            publicReport(
                    new String(
                        Json.write(Map.of("keys", List.of(live[1]))), StandardCharsets.UTF_8))
                .status())
        .isEqualTo(202);
    assertThat(s.get("/v1/leaks").json().get("data")).hasSize(3);
  }

  @Test
  void publicReport_rotatingAddressesInOneNetwork_isLimitedPerNetwork_inBothFamilies() {
    // The limit is 5 a minute per address, 4 x 5 = 20 per IPv4 /24 or IPv6 /48.
    String[][] families = {
      {"2001:db8:7:%d::1", "2001:db8:8::1"}, {"203.0.113.%d", "198.51.100.1"},
    };
    for (String[] f : families) {
      for (int i = 0; i < 20; i++) {
        String ip = String.format(f[0], i / 4 + 1);
        LeakServer.Response ok = publicReport("{\"keys\":[\"x\"]}", "X-Forwarded-For", ip);
        assertThat(ok.status()).as(ip + " #" + i + ": " + ok.body()).isEqualTo(202);
      }
      // a fresh /64 (or address) in the same network: its own budget is untouched, the network's
      // is spent
      LeakServer.Response net =
          publicReport("{\"keys\":[\"x\"]}", "X-Forwarded-For", String.format(f[0], 99));
      assertThat(net.status()).as(net.body()).isEqualTo(429);
      assertThat(net.json().get("message").asText()).contains("network");
      // another network is not affected
      assertThat(publicReport("{\"keys\":[\"x\"]}", "X-Forwarded-For", f[1]).status())
          .isEqualTo(202);
    }
    // the per-address limit still applies first
    for (int i = 0; i < 5; i++) {
      publicReport("{\"keys\":[\"x\"]}", "X-Forwarded-For", "192.0.2.9");
    }
    LeakServer.Response one = publicReport("{\"keys\":[\"x\"]}", "X-Forwarded-For", "192.0.2.9");
    assertThat(one.status()).isEqualTo(429);
    assertThat(one.json().get("message").asText()).contains("address");
  }

  @Test
  void publicReport_refusesBadBodies_tooManyKeys_oversizedBodies_andFloods() {
    assertThat(publicReport("{\"keys\":[]}").status()).isEqualTo(400);
    assertThat(publicReport("{\"keys\":[1]}").status()).isEqualTo(400);
    assertThat(publicReport("{\"keys\":\"sk_live_x\"}").status()).isEqualTo(400);
    StringBuilder many = new StringBuilder("{\"keys\":[");
    for (int i = 0; i <= LeakConfig.MAX_PUBLIC_KEYS; i++) {
      many.append(i == 0 ? "" : ",").append("\"k").append(i).append('"');
    }
    LeakServer.Response tooMany = publicReport(many.append("]}").toString());
    assertThat(tooMany.status()).isEqualTo(400);
    assertThat(tooMany.json().get("error").asText()).isEqualTo("too_many_keys");
    String huge = "{\"keys\":[\"" + "a".repeat((int) LeakConfig.MAX_PUBLIC_BYTES) + "\"]}";
    assertThat(publicReport(huge).status()).isEqualTo(413);
    // five requests per minute were allowed; the sixth from this address is refused
    LeakServer.Response limited = publicReport("{\"keys\":[\"x\"]}");
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.body()).contains("rate_limited");
  }
}
