package io.keygate.scan;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.sun.net.httpserver.HttpServer;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class ScanCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Schema sarifSchema;

  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void loadSchema() throws IOException {
    try (InputStream in = ScanCommandTest.class.getResourceAsStream("/sarif-schema-2.1.0.json")) {
      JsonNode schema = JSON.readTree(in);
      assertThat(schema.get("$id").asText())
          .isEqualTo(
              "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json");
      sarifSchema =
          SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(schema);
    }
  }

  static Run run(String stdin, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ScanCommand command =
        new ScanCommand(
            Keys.TYPES,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env);
    StringWriter usage = new StringWriter();
    CommandLine cl = new CommandLine(command);
    cl.setErr(new PrintWriter(usage, true));
    cl.setOut(new PrintWriter(usage, true));
    int exit = cl.execute(args);
    return new Run(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + usage);
  }

  static Run run(String... args) {
    return run("", Map.of(), args);
  }

  private static void assertNoRawKey(String output, List<String> keys) {
    for (String key : keys) {
      int bodyAt = key.lastIndexOf('_') + 1;
      assertThat(output).doesNotContain(key.substring(bodyAt, bodyAt + 12));
    }
  }

  private static List<Error> validateSarif(String sarif) throws IOException {
    return sarifSchema.validate(JSON.readTree(sarif));
  }

  /** Writes the corpus plus a file of split keys; returns the expected findings by location. */
  private Map<String, String> corpus(List<String> rawKeys) throws IOException {
    Map<String, String> expected = new HashMap<>();
    for (ScannerTest.Placed p : ScannerTest.writeCorpus(dir)) {
      expected.put(dir.resolve(p.file()) + ":" + p.line() + ":" + p.column(), p.key());
      rawKeys.add(p.key());
    }
    String k1 = Keys.real("live_secret");
    String k2 = Keys.real("admin");
    Files.writeString(
        dir.resolve("Split.java"),
        "class Split {\n  String a = \""
            + k1.substring(0, 25)
            + "\" +\n      \""
            + k1.substring(25)
            + "\";\n}\nTOKEN="
            + k2.substring(0, 30)
            + "\\\n"
            + k2.substring(30)
            + "\n");
    expected.put(dir.resolve("Split.java") + ":2:15", k1);
    expected.put(dir.resolve("Split.java") + ":5:7", k2);
    rawKeys.add(k1);
    rawKeys.add(k2);
    Files.write(
        dir.resolve("blob.bin"),
        ("\0" + Keys.real("live_secret")).getBytes(StandardCharsets.US_ASCII));
    return expected;
  }

  @Test
  void cleanDirectory_exitsZero() throws IOException {
    Files.writeString(
        dir.resolve("a.txt"),
        "nothing here but sk_live_short and " + Keys.badBody(Keys.TYPES.all().get(0)));

    Run r = run(dir.toString());

    assertThat(r.exit()).isEqualTo(ScanCommand.EXIT_CLEAN);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("0 finding(s)");
  }

  @ParameterizedTest
  @EnumSource(ReportFormat.class)
  void corpus_everyFormat_allRealKeysNoLookAlikesNoRawKey(ReportFormat format) throws IOException {
    List<String> raw = new ArrayList<>();
    Map<String, String> expected = corpus(raw);

    Run r = run("--format", format.id(), dir.toString());

    assertThat(r.exit()).as(r.err()).isEqualTo(ScanCommand.EXIT_FOUND);
    assertNoRawKey(r.out(), raw);
    Map<String, String> actual = parse(format, r.out());
    Map<String, String> expectedFingerprints = new HashMap<>();
    expected.forEach(
        (loc, key) ->
            expectedFingerprints.put(
                loc, format == ReportFormat.TEXT ? redact(key) : Keys.sha(key)));
    assertThat(actual).isEqualTo(expectedFingerprints);
    if (format == ReportFormat.SARIF) {
      assertThat(validateSarif(r.out())).isEmpty();
    }
  }

  private static String redact(String key) {
    KeyType t = Keys.FORMAT.identify(key);
    return Finding.redact(t, key);
  }

  /**
   * Records {@code value} at {@code file:line:column}, which must not have been reported before.
   */
  private static void putOnce(
      Map<String, String> found, String file, Object line, Object column, String value) {
    assertThat(found.put(file + ":" + line + ":" + column, value)).isNull();
  }

  /**
   * Parses a report back into location → fingerprint (for text: location → redacted key, the only
   * per-key datum text output carries).
   */
  static Map<String, String> parse(ReportFormat format, String output) throws IOException {
    Map<String, String> found = new HashMap<>();
    switch (format) {
      case TEXT -> {
        Pattern line = Pattern.compile("^(.+):(\\d+):(\\d+)  ([a-z_]+)  (\\S+)(  .*)?$");
        for (String l : output.split("\n")) {
          Matcher m = line.matcher(l);
          assertThat(m.matches()).as(l).isTrue();
          putOnce(found, m.group(1), m.group(2), m.group(3), m.group(5));
        }
      }
      case JSON -> {
        for (JsonNode f : JSON.readTree(output)) {
          assertThat(f.get("key_type").asText()).isNotEmpty();
          assertThat(f.get("redacted").asText()).contains("…");
          putOnce(
              found,
              f.get("file").asText(),
              f.get("line").asLong(),
              f.get("column").asInt(),
              f.get("fingerprint").asText());
        }
      }
      case SARIF -> {
        JsonNode run = JSON.readTree(output).get("runs").get(0);
        Set<String> ruleIds = new HashSet<>();
        for (JsonNode rule : run.at("/tool/driver/rules")) {
          ruleIds.add(rule.get("id").asText());
        }
        for (JsonNode res : run.get("results")) {
          assertThat(ruleIds).contains(res.get("ruleId").asText());
          JsonNode loc = res.at("/locations/0/physicalLocation");
          String uri = loc.at("/artifactLocation/uri").asText();
          String file = uri.startsWith("file:") ? Path.of(URI.create(uri)).toString() : uri;
          putOnce(
              found,
              file,
              loc.at("/region/startLine").asLong(),
              loc.at("/region/startColumn").asInt(),
              res.at("/partialFingerprints/keygateFingerprint~1v1").asText());
        }
      }
      case GITLEAKS -> {
        for (JsonNode f : JSON.readTree(output)) {
          assertThat(f.get("Match").asText()).isEqualTo("REDACTED");
          assertThat(f.get("Secret").asText()).isEqualTo("REDACTED");
          for (String field :
              List.of(
                  "Description",
                  "StartLine",
                  "EndLine",
                  "StartColumn",
                  "EndColumn",
                  "File",
                  "SymlinkFile",
                  "Commit",
                  "Entropy",
                  "Author",
                  "Email",
                  "Date",
                  "Message",
                  "Tags",
                  "RuleID",
                  "Fingerprint")) {
            assertThat(f.has(field)).as(field).isTrue();
          }
          assertThat(f.get("RuleID").asText()).startsWith("keygate-");
          String fp = null;
          for (JsonNode tag : f.get("Tags")) {
            if (tag.asText().startsWith("fingerprint-sha256:")) {
              fp = tag.asText().substring("fingerprint-sha256:".length());
            }
          }
          putOnce(
              found,
              f.get("File").asText(),
              f.get("StartLine").asLong(),
              f.get("StartColumn").asInt(),
              fp);
        }
      }
    }
    return found;
  }

  private Map<String, RevCommit> gitRepo(Path repo) throws Exception {
    Map<String, RevCommit> byKey = new HashMap<>();
    try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
      PersonIdent who =
          new PersonIdent(
              "Zoë Dev", "zoe@example.test", Instant.parse("2024-05-01T08:00:00Z"), ZoneOffset.UTC);
      String k1 = Keys.real("live_secret");
      Files.writeString(repo.resolve("deleted.txt"), "k=" + k1 + "\n");
      git.add().addFilepattern(".").call();
      byKey.put(
          k1, git.commit().setMessage("add key\n\nbody").setAuthor(who).setCommitter(who).call());
      git.rm().addFilepattern("deleted.txt").call();
      String k2 = Keys.real("test_secret");
      Files.writeString(
          repo.resolve("kept.txt"),
          "\n\"" + k2.substring(0, 10) + "\" +\n\"" + k2.substring(10) + "\"\n");
      git.add().addFilepattern(".").call();
      byKey.put(
          k2,
          git.commit().setMessage("delete, add split key").setAuthor(who).setCommitter(who).call());
    }
    return byKey;
  }

  @ParameterizedTest
  @EnumSource(ReportFormat.class)
  void gitHistory_everyFormat_carriesCommitFields(ReportFormat format) throws Exception {
    Path repo = dir.resolve("repo");
    Map<String, RevCommit> byKey = gitRepo(repo);

    Run r = run("--git", "--format", format.id(), repo.toString());

    assertThat(r.exit()).as(r.err()).isEqualTo(ScanCommand.EXIT_FOUND);
    assertNoRawKey(r.out(), new ArrayList<>(byKey.keySet()));
    Set<String> shas = new HashSet<>();
    byKey.values().forEach(c -> shas.add(c.getName()));
    switch (format) {
      case TEXT -> {
        assertThat(r.out().lines()).hasSize(2);
        assertThat(r.out())
            .contains("deleted.txt:1:3  live_secret  sk_live_")
            .contains("by Zoë Dev <zoe@example.test> on 2024-05-01T08:00:00Z: add key");
      }
      case JSON -> {
        JsonNode arr = JSON.readTree(r.out());
        assertThat(arr).hasSize(2);
        for (JsonNode f : arr) {
          assertThat(shas).contains(f.get("commit").asText());
          assertThat(f.get("author").asText()).isEqualTo("Zoë Dev");
          assertThat(f.get("email").asText()).isEqualTo("zoe@example.test");
          assertThat(f.get("date").asText()).isEqualTo("2024-05-01T08:00:00Z");
        }
        assertThat(arr.findValuesAsText("message"))
            .containsExactlyInAnyOrder("add key", "delete, add split key");
      }
      case SARIF -> {
        assertThat(validateSarif(r.out())).isEmpty();
        JsonNode results = JSON.readTree(r.out()).at("/runs/0/results");
        assertThat(results).hasSize(2);
        for (JsonNode res : results) {
          assertThat(shas).contains(res.at("/properties/commit").asText());
          assertThat(res.at("/locations/0/physicalLocation/artifactLocation/uri").asText())
              .isIn("deleted.txt", "kept.txt");
        }
      }
      case GITLEAKS -> {
        JsonNode arr = JSON.readTree(r.out());
        assertThat(arr).hasSize(2);
        for (JsonNode f : arr) {
          assertThat(shas).contains(f.get("Commit").asText());
          assertThat(f.get("Author").asText()).isEqualTo("Zoë Dev");
          assertThat(f.get("Fingerprint").asText())
              .startsWith(f.get("Commit").asText() + ":" + f.get("File").asText() + ":keygate-");
        }
      }
    }
  }

  @Test
  void importedPrefixOutsideKeygatesRule_foundInEveryFormat_neverPrinted() throws Exception {
    String key = "Acme-" + ImportedPrefixTest.guideKey().substring("sk_live_".length());
    Files.writeString(dir.resolve("deploy.sh"), "export ACME_TOKEN=" + key + "\n");
    for (String format : List.of("text", "json", "sarif", "gitleaks")) {
      Run r = run("--format", format, "--imported-prefix", "Acme-", dir.toString());
      assertThat(r.exit()).as(format + ": " + r.err()).isEqualTo(ScanCommand.EXIT_FOUND);
      // gitleaks' format says REDACTED and gives the fingerprint; the others the redacted form
      assertThat(r.out())
          .as(format)
          .contains(
              format.equals("gitleaks")
                  ? "fingerprint-sha256:" + KeyHasher.sha256Hex(key)
                  : "Acme-" + key.substring(5, 9) + "…");
      assertThat(r.out() + r.err()).as(format).doesNotContain(key);
      if (format.equals("sarif")) {
        assertThat(validateSarif(r.out())).isEmpty();
      }
    }
    assertThat(run(dir.toString()).exit()).isEqualTo(ScanCommand.EXIT_CLEAN);
    assertThat(run("--imported-prefix", "Ac me", dir.toString()).exit())
        .isEqualTo(ScanCommand.EXIT_USAGE);
  }

  @Test
  void sarif_validatorRejectsBrokenLog_soTheSchemaCheckIsReal() throws Exception {
    Files.writeString(dir.resolve("k.txt"), Keys.real("live_secret"));
    String sarif = run("--format", "sarif", dir.toString()).out();
    ObjectNode broken = (ObjectNode) JSON.readTree(sarif);
    ((ObjectNode) broken.at("/runs/0/results/0")).remove("message");
    ((ObjectNode) broken.at("/runs/0/results/0/locations/0/physicalLocation/region"))
        .put("startLine", 0);

    assertThat(validateSarif(sarif)).isEmpty();
    assertThat(sarifSchema.validate(broken)).isNotEmpty();
  }

  @Test
  void sarif_rulesDescribeEveryKeyType() throws Exception {
    Files.writeString(dir.resolve("k.txt"), Keys.real("live_secret"));
    JsonNode driver =
        JSON.readTree(run("--format", "sarif", dir.toString()).out()).at("/runs/0/tool/driver");

    assertThat(driver.get("name").asText()).isEqualTo("Keygate");
    assertThat(driver.get("semanticVersion").asText()).matches("\\d+\\.\\d+\\.\\d+.*");
    assertThat(driver.get("rules")).hasSize(Keys.TYPES.all().size());
    for (JsonNode rule : driver.get("rules")) {
      assertThat(rule.get("id").asText()).startsWith("keygate/");
      assertThat(rule.at("/shortDescription/text").asText()).isNotBlank();
      assertThat(rule.at("/fullDescription/text").asText()).isNotBlank();
      assertThat(rule.at("/help/text").asText()).isNotBlank();
      assertThat(rule.at("/help/markdown").asText()).isNotBlank();
      assertThat(rule.at("/properties/tags")).isNotEmpty();
      assertThat(Double.parseDouble(rule.at("/properties/security-severity").asText()))
          .isBetween(0.0, 10.0);
    }
  }

  @Test
  void stdin_dash_scansStandardInput() {
    String k = Keys.real("live_secret");

    Run r = run("2024-01-01 INFO auth header " + k + "\n", Map.of(), "--format", "json", "-");

    assertThat(r.exit()).isEqualTo(ScanCommand.EXIT_FOUND);
    assertThat(r.out()).contains("\"file\" : \"-\"").contains(Keys.sha(k));
  }

  @Test
  void output_writesReportToFile() throws IOException {
    String k = Keys.real("live_secret");
    Files.writeString(dir.resolve("a.txt"), k);
    Path report = dir.resolve("out/report.json");
    Files.createDirectories(report.getParent());

    Run r =
        run("--format", "gitleaks", "--output", report.toString(), dir.resolve("a.txt").toString());

    assertThat(r.exit()).isEqualTo(ScanCommand.EXIT_FOUND);
    assertThat(r.out()).isEmpty();
    assertThat(JSON.readTree(report.toFile())).hasSize(1);
  }

  @Test
  void prefixes_restrictAndAddTypes() throws IOException {
    String live = Keys.real("live_secret");
    Files.writeString(dir.resolve("a.txt"), live + "\n" + Keys.real("test_secret") + "\n");

    Run r = run("--prefixes", "sk_live_", "--format", "json", dir.toString());

    assertThat(r.exit()).isEqualTo(ScanCommand.EXIT_FOUND);
    assertThat(JSON.readTree(r.out()))
        .singleElement()
        .satisfies(f -> assertThat(f.get("fingerprint").asText()).isEqualTo(Keys.sha(live)));
    assertThat(run("--prefixes", "acme_", dir.toString()).exit()).isEqualTo(ScanCommand.EXIT_CLEAN);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--no-such-option",
        "--format=xml",
        "--prefixes=Bad-Prefix",
        "--git|-",
        "--report-to=http://example.test",
        "--report-to=ftp://127.0.0.1/",
        "--report-to=https://keygate.example.test",
        "missing-path"
      })
  void usageErrors_exitTwo(String args) {
    List<String> argv = new ArrayList<>(List.of(args.split("\\|")));
    if (!argv.contains("-") && !argv.contains("missing-path")) {
      argv.add(dir.toString());
    } else if (argv.contains("missing-path")) {
      argv.set(argv.indexOf("missing-path"), dir.resolve("missing-path").toString());
    }

    Run r = run(argv.toArray(String[]::new));

    assertThat(r.exit()).as(r.err()).isEqualTo(ScanCommand.EXIT_USAGE);
    assertThat(r.err()).isNotBlank();
  }

  @Test
  void help_exitsZero() {
    Run r = run("--help");
    assertThat(r.exit()).isZero();
    assertThat(r.err()).contains("--print-gitleaks-config").contains("--report-to");
  }

  @Test
  void printGitleaksConfig_oneRulePerPrefixAndRegexMatchesRealKeys() throws IOException {
    Run r = run("--print-gitleaks-config");

    assertThat(r.exit()).isZero();
    JsonNode toml = new TomlMapper().readTree(r.out());
    assertThat(toml.at("/extend/useDefault").asBoolean()).isTrue();
    JsonNode rules = toml.get("rules");
    assertThat(rules).hasSize(Keys.TYPES.all().size());
    for (int i = 0; i < rules.size(); i++) {
      KeyType t = Keys.TYPES.all().get(i);
      JsonNode rule = rules.get(i);
      assertThat(rule.get("id").asText()).isEqualTo("keygate-" + t.name().replace('_', '-'));
      assertThat(rule.get("description").asText()).contains(t.prefix());
      assertThat(rule.get("keywords").get(0).asText()).isEqualTo(t.prefix());
      assertThat(rule.get("tags")).isNotEmpty();
      String regex = rule.get("regex").asText();
      assertThat(regex).isEqualTo("\\b" + t.prefix() + "[0-9A-Za-z]{49}\\b");
      String key = Keys.real(t);
      assertThat(Pattern.compile(regex).matcher("x = \"" + key + "\"").find()).isTrue();
      assertThat(Pattern.compile(regex).matcher("x" + key).find()).isFalse();
    }
  }

  @Test
  void reportTo_loopback_postsRawKeysWithToken() throws Exception {
    String k = Keys.real("live_secret");
    Files.writeString(dir.resolve("a.txt"), "x\n  " + k + "\n");
    AtomicReference<String> path = new AtomicReference<>();
    AtomicReference<String> auth = new AtomicReference<>();
    AtomicReference<byte[]> body = new AtomicReference<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          path.set(ex.getRequestMethod() + " " + ex.getRequestURI());
          auth.set(ex.getRequestHeaders().getFirst("Authorization"));
          body.set(ex.getRequestBody().readAllBytes());
          byte[] resp = "{\"accepted\":1}".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(202, resp.length);
          ex.getResponseBody().write(resp);
          ex.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/";

      Run r =
          run(
              "",
              Map.of("KEYGATE_TOKEN", "kg_admin_token_for_test"),
              "--report-to",
              url,
              dir.toString());

      assertThat(r.exit()).as(r.err()).isEqualTo(ScanCommand.EXIT_FOUND);
      assertThat(r.out()).doesNotContain(k);
      assertThat(r.err()).doesNotContain(k).contains("reported 1 finding(s)");
      assertThat(path.get()).isEqualTo("POST /v1/leaks/reports?format=keygate");
      assertThat(auth.get()).isEqualTo("Bearer kg_admin_token_for_test");
      JsonNode f = JSON.readTree(body.get()).get("findings").get(0);
      assertThat(f.get("key").asText()).isEqualTo(k);
      assertThat(f.get("file").asText()).isEqualTo(dir.resolve("a.txt").toString());
      assertThat(f.get("line").asInt()).isEqualTo(2);
      assertThat(f.get("column").asInt()).isEqualTo(3);
      assertThat(f.get("fingerprint").asText()).isEqualTo(Keys.sha(k));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void reportTo_serverError_exitThree() throws Exception {
    Files.writeString(dir.resolve("a.txt"), Keys.real("live_secret"));
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        ex -> {
          ex.sendResponseHeaders(500, -1);
          ex.close();
        });
    server.start();
    try {
      Run r =
          run(
              "",
              Map.of("KEYGATE_TOKEN", "t"),
              "--report-to",
              "http://localhost:" + server.getAddress().getPort(),
              dir.toString());

      assertThat(r.exit()).isEqualTo(ScanCommand.EXIT_ERROR);
      assertThat(r.err()).contains("HTTP 500");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void reportTo_missingToken_exitTwo() {
    Run r = run("--report-to", "https://keygate.example.test", dir.toString());
    assertThat(r.exit()).isEqualTo(ScanCommand.EXIT_USAGE);
    assertThat(r.err()).contains("KEYGATE_TOKEN");
  }

  @Test
  void loopbackCheck_acceptsOnlyLoopbackLiteralsAndLocalhost() {
    assertThat(LeakReporter.isLoopback("127.0.0.1")).isTrue();
    assertThat(LeakReporter.isLoopback("127.8.9.10")).isTrue();
    assertThat(LeakReporter.isLoopback("[::1]")).isTrue();
    assertThat(LeakReporter.isLoopback("LOCALHOST")).isTrue();
    assertThat(LeakReporter.isLoopback("10.0.0.1")).isFalse();
    assertThat(LeakReporter.isLoopback("127.0.0.1.nip.example")).isFalse();
    assertThat(LeakReporter.isLoopback("[::2]")).isFalse();
  }
}
