package io.keygate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keygate.core.Keygate;
import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.LeakLocation;
import io.keygate.core.leaks.LeakReport;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.model.RateLimit;
import io.keygate.core.testing.ManualClock;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.http.Json;
import io.keygate.server.notify.Node;
import io.keygate.server.testing.KeygateServerExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The security report's figures match the database after a scripted scenario (keys created,
 * verified, rotated, leaked, revoked), over HTTP in all three formats and from the CLI.
 */
class ReportCommandTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final Actor ACTOR = new Actor("test", null, null);

  @TempDir Path dir;

  private static CreatedKey create(Keygate kg, List<String> allow, List<RateLimit> limits) {
    return kg.keys()
        .create(
            new CreateKey(null, "acme", "k", List.of("read"), allow, limits, null, Map.of()),
            ACTOR);
  }

  private static long sql(Path dir, String query) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keygate.db"));
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void reportFigures_matchTheDatabase_inEveryFormat_andFromTheCli() throws Exception {
    ManualClock clock = new ManualClock(Instant.now().truncatedTo(ChronoUnit.MINUTES));
    try (Node n = new Node(servers, dir, clock)) {
      Keygate kg = n.server.keygate();
      CreatedKey k1 =
          create(
              kg,
              List.of("10.0.0.0/8"),
              List.of(new RateLimit(RateLimit.DEFAULT_NAME, 100, Duration.ofMinutes(1))));
      CreatedKey k2 = create(kg, List.of(), List.of());
      CreatedKey k3 = create(kg, List.of(), List.of());
      CreatedKey k4 = create(kg, List.of(), List.of());
      for (int i = 0; i < 3; i++) {
        kg.verifier()
            .verify(
                new VerifyRequest(k1.secret().reveal(), "10.1.2.3", List.of("read"), null, null));
      }
      kg.verifier().verify(VerifyRequest.of(k2.secret().reveal()));
      kg.verifier().verify(VerifyRequest.of(k2.secret().reveal()));
      kg.verifier()
          .verify(new VerifyRequest(k4.secret().reveal(), null, List.of("admin"), null, null));
      kg.keys().rotate(k2.record().keyId(), Duration.ZERO, ACTOR);
      Instant found = clock.instant();
      clock.advance(Duration.ofMinutes(2));
      kg.leaks()
          .respond(
              new LeakReport(
                  k3.secret(),
                  "github",
                  new LeakLocation("https://github.com/acme/app/blob/main/x", null, null, null),
                  found),
              ACTOR,
              clock.instant());
      kg.leaks()
          .respond(
              new LeakReport(
                  k4.secret(),
                  "keygate-scan",
                  LeakLocation.UNKNOWN,
                  clock.instant(),
                  Exposure.PREVENTED), // a pre-commit catch: recorded, the key kept
              ACTOR,
              clock.instant());
      clock.advance(Duration.ofMinutes(1));
      n.monitoring().flushMinutes();

      long active =
          sql(
              dir,
              "SELECT COUNT(*) FROM api_keys WHERE type <> 'admin' AND status = 'active'"
                  + " AND revokes_at IS NULL");
      long validations = sql(dir, "SELECT SUM(requests) FROM usage_minutes");
      long rotations = sql(dir, "SELECT COUNT(*) FROM outbox_events WHERE type = 'key.rotated'");
      assertThat(active).isEqualTo(3);
      assertThat(validations).isEqualTo(6);
      assertThat(rotations).isEqualTo(1);
      long incidents = sql(dir, "SELECT COUNT(*) FROM leak_incidents");
      long avgMs = sql(dir, "SELECT AVG(revoked_at - found_at) FROM leak_incidents");
      long avgFromReportMs = sql(dir, "SELECT AVG(revoked_at - reported_at) FROM leak_incidents");
      assertThat(avgMs).isEqualTo(Duration.ofMinutes(2).toMillis()); // from the exposure time
      assertThat(incidents).isEqualTo(2);
      String avg = String.format(Locale.ROOT, "%.1f minutes", avgMs / 60_000.0);

      String md = n.call("GET", "/v1/report?format=md", null).body();
      assertThat(md)
          .startsWith("## API Key Security Implementation Report")
          .contains("**Platform**: Keygate")
          .contains("**Total Active Keys**: " + active)
          .contains("**Daily Key Validations**: " + validations)
          .contains("| Rotation | 24-hour default grace period (max")
          .contains(rotations + " rotation(s) in the last 30 days | Active |")
          .contains("IP allowlists on 33.3%; rate limits on 33.3% | Partial |")
          .contains("| Leak Detection | GitHub Secret Scanning not configured")
          .contains("- Keys detected in public repos: 1")
          .contains("- Average time to revocation: " + avg)
          .contains("- Keys detected in CI/CD pre-commit: 1 (prevented)");
      for (String control :
          List.of(
              "Key Entropy",
              "Key Format",
              "Storage",
              "Scoping",
              "Rotation",
              "Expiration",
              "Leak Detection",
              "Auto-Revocation")) {
        assertThat(md).contains("| " + control + " |");
      }
      assertThat(md).contains("sk_live_/sk_test_/pk_live_/pk_test_").contains("pepper v1");

      JsonNode json = n.call("GET", "/v1/report?format=json", null).expect(200);
      assertThat(json.get("total_active_keys").asLong()).isEqualTo(active);
      assertThat(json.get("daily_key_validations").asLong()).isEqualTo(validations);
      assertThat(json.get("controls")).hasSize(8);
      JsonNode leaks = json.get("key_leakage_last_30_days");
      assertThat(leaks.get("detected_in_public_sources").asLong()).isEqualTo(1);
      assertThat(leaks.get("caught_before_commit").asLong()).isEqualTo(1);
      assertThat(leaks.get("average_minutes_to_revocation").asDouble())
          .isEqualTo(avgMs / 60_000.0, Assertions.within(0.01));
      assertThat(leaks.get("basis").asText()).isEqualTo("leak_incidents");
      assertThat(leaks.get("average_minutes_report_to_revocation").asDouble())
          .isEqualTo(avgFromReportMs / 60_000.0, Assertions.within(0.01));

      String html = n.call("GET", "/v1/report?format=html", null).body();
      assertThat(html)
          .contains("<dd id=\"total-active-keys\">" + active + "</dd>")
          .contains("<dd id=\"daily-key-validations\">" + validations + "</dd>")
          .contains("<span id=\"leaked-public\">1</span>")
          .contains("<span id=\"avg-revocation\">" + avg + "</span>")
          .contains("<span id=\"caught-before-commit\">1</span>")
          .doesNotContain("<script");
      JsonNode usage =
          n.call("GET", "/v1/keys/" + k1.record().keyId() + "/usage?window=24h", null).expect(200);
      assertThat(usage.get("bucket").asText()).isEqualTo("1m");
      assertThat(usage.get("data")).hasSize(1);
      assertThat(usage.get("data").get(0).get("outcome").asText()).isEqualTo("valid");
      assertThat(usage.get("data").get(0).get("count").asLong()).isEqualTo(3);
      JsonNode month =
          n.call("GET", "/v1/keys/" + k4.record().keyId() + "/usage?window=30d", null).expect(200);
      assertThat(month.get("data").get(0).get("outcome").asText()).isEqualTo("insufficient_scope");
      assertThat(
              n.call("GET", "/v1/keys/" + k1.record().keyId() + "/usage?window=7d", null).status())
          .isEqualTo(400);
      assertThat(n.call("GET", "/v1/report?format=pdf", null).status()).isEqualTo(400);
      String noReport = n.token(null, List.of("keys:read"));
      assertThat(n.call("GET", "/v1/report", null, noReport).status()).isEqualTo(403);
      assertThat(n.call("GET", "/metrics", null, null).body())
          .contains("keygate_verifications_total{code=\"valid\"}")
          .contains("keygate_verify_latency_seconds_bucket")
          .contains("keygate_cache_hit_ratio")
          .contains("keygate_leak_incidents 2.0")
          .contains("keygate_outbox_backlog")
          .contains("keygate_rate_limited_total");
    }

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        KeygateCli.run(
            Map.of("KEYGATE_PLATFORM_NAME", "Developer API v3"), // not the server's: ignored
            new PrintWriter(out),
            new PrintWriter(err),
            "report",
            "--format",
            "json",
            "--data-dir",
            dir.toString());
    assertThat(code).as(err.toString()).isZero();
    JsonNode cli = Json.MAPPER.readTree(out.toString());
    assertThat(cli.get("platform").asText()).isEqualTo("Keygate");
    assertThat(cli.get("total_active_keys").asLong()).isEqualTo(3);
    assertThat(cli.get("daily_key_validations").asLong()).isEqualTo(6);
    assertThat(cli.get("key_leakage_last_30_days").get("detected_in_public_sources").asLong())
        .isEqualTo(1);
  }

  /** Runs {@code keygate report} in-process with {@code env}; fails unless it exits 0. */
  private static String[] cliReport(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 1];
    all[0] = "report";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = KeygateCli.run(env, new PrintWriter(out), new PrintWriter(err), all);
    assertThat(code).as(err.toString()).isZero();
    return new String[] {out.toString(), err.toString()};
  }

  private static JsonNode withoutGeneratedAt(String json) throws Exception {
    ObjectNode n = (ObjectNode) Json.MAPPER.readTree(json);
    assertThat(n.remove("generated_at")).isNotNull();
    return n;
  }

  private static String withoutGeneratedLine(String md) {
    assertThat(md).contains("\n_Generated ");
    return md.replaceAll("\n_Generated [^;]*;", "\n_Generated …;");
  }

  @Test
  void cliReport_withoutUrl_usesTheSettingsTheServerRecorded_notThisShells() throws Exception {
    ManualClock clock = new ManualClock(Instant.now().truncatedTo(ChronoUnit.MINUTES));
    // The shell's settings differ from the server's in everything the report reads.
    Map<String, String> shell =
        Map.of(
            "KEYGATE_PLATFORM_NAME", "Shell Platform",
            "KEYGATE_LEAK_POLICY", "live_secret=revoke",
            "KEYGATE_LEAK_REVOKE_TEST_KEYS", "false",
            "KEYGATE_MAX_TTL_DAYS", "30",
            "KEYGATE_CACHE_SIZE", "0");
    try (Node n =
        new Node(
            servers,
            dir,
            clock,
            b ->
                b.config(
                        ServerConfig.fromEnv(Map.of("KEYGATE_MAX_TTL_DAYS", "90"))
                            .withStorage(dir, null)
                            .withNetwork("127.0.0.1", 0))
                    .notifyConfig(
                        NotifyConfig.defaults()
                            .withIntervals(Duration.ofHours(1), Duration.ofHours(1))
                            .withReporting(null, "Server Platform"))
                    .leaks(
                        LeakConfig.fromEnv(
                            Map.of(
                                "KEYGATE_LEAK_POLICY",
                                "live_secret=rotate:1h",
                                "KEYGATE_LEAK_REVOKE_TEST_KEYS",
                                "true"))))) {
      CreatedKey k = create(n.server.keygate(), List.of(), List.of());
      n.server
          .keygate()
          .leaks()
          .respond(
              new LeakReport(
                  k.secret(),
                  "github",
                  new LeakLocation("https://github.com/acme/app/blob/main/x", null, null, null),
                  clock.instant().minus(Duration.ofMinutes(4))),
              ACTOR,
              clock.instant());

      JsonNode server = n.call("GET", "/v1/report?format=json", null).expect(200);
      assertThat(server.get("platform").asText()).isEqualTo("Server Platform");
      assertThat(server.toString())
          .contains("rotate with short grace for [live_secret]; leaked test keys too")
          .contains("90-day max TTL")
          .contains("configured pepper versions v1");
      String[] json = cliReport(shell, "--format", "json", "--data-dir", dir.toString());
      assertThat(withoutGeneratedAt(json[0])).isEqualTo(withoutGeneratedAt(server.toString()));
      assertThat(json[1])
          .contains("settings recorded by ")
          .contains(" at ")
          .contains("this shell's KEYGATE_* settings are not used");

      String md = n.call("GET", "/v1/report?format=md", null).body();
      String[] cliMd = cliReport(shell, "--data-dir", dir.toString());
      assertThat(withoutGeneratedLine(cliMd[0])).isEqualTo(withoutGeneratedLine(md));
    }

    // A database no server of this version started on: the CLI says so and uses the defaults,
    // still not the shell's settings.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keygate.db"));
        Statement s = c.createStatement()) {
      assertThat(s.executeUpdate("DELETE FROM report_settings")).isEqualTo(1);
    }
    String[] none = cliReport(shell, "--format", "json", "--data-dir", dir.toString());
    assertThat(none[1])
        .contains("no server has recorded its settings")
        .contains("DEFAULT settings");
    JsonNode defaults = Json.MAPPER.readTree(none[0]);
    assertThat(defaults.get("platform").asText()).isEqualTo("Keygate");
    assertThat(defaults.toString())
        .contains("revoke at once")
        .contains("365-day max TTL")
        .doesNotContain("leaked test keys too")
        .doesNotContain("Shell Platform")
        .doesNotContain("30-day max TTL");
  }

  @Test
  void cliReport_withUrl_isTheServersReport_evenWhenThisShellsSettingsDiffer() throws Exception {
    ManualClock clock = new ManualClock(Instant.now().truncatedTo(ChronoUnit.MINUTES));
    try (Node n =
        new Node(
            servers,
            dir,
            clock,
            b ->
                b.leaks(
                    LeakConfig.fromEnv(
                        Map.of(
                            "KEYGATE_LEAK_POLICY",
                            "live_secret=rotate:1h",
                            "KEYGATE_LEAK_REVOKE_TEST_KEYS",
                            "true"))))) {
      String server = n.call("GET", "/v1/report?format=md", null).body();
      assertThat(server)
          .contains("rotate with short grace for [live_secret]; leaked test keys too");

      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code =
          KeygateCli.run(
              Map.of("KEYGATE_TOKEN", n.token(null, List.of("report:read"))),
              new PrintWriter(out),
              new PrintWriter(err),
              "report",
              "--url",
              n.base);
      assertThat(code).as(err.toString()).isZero();
      assertThat(out.toString()).isEqualTo(server);

      StringWriter denied = new StringWriter();
      int refused =
          KeygateCli.run(
              Map.of("KEYGATE_TOKEN", n.token(null, List.of("keys:read"))),
              new PrintWriter(new StringWriter()),
              new PrintWriter(denied),
              "report",
              "--url",
              n.base);
      assertThat(refused).isNotZero();
      assertThat(denied.toString()).contains("403");
    }
  }
}
