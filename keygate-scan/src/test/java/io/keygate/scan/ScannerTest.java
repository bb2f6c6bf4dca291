package io.keygate.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScannerTest {
  private final Scanner scanner = Scanner.builder().build();

  @TempDir Path dir;

  /** Expected location of a real key. */
  record Placed(String file, long line, int column, String key) {}

  /** Writes a corpus of files: every key type in several contexts, and look-alikes next to them. */
  static List<Placed> writeCorpus(Path dir) throws IOException {
    List<Placed> placed = new ArrayList<>();
    int fileNo = 0;
    for (KeyType type : Keys.TYPES.all()) {
      String[] templates = {
        "%s",
        "export API_KEY=%s",
        "{\"key\": \"%s\", \"other\": 1}",
        "curl -H 'Authorization: Bearer %s' https://api.example.test/v1",
        "GET /v1/things?api_key=%s&x=1 HTTP/1.1",
        "const k = `%s`;",
        "key:%s,next",
        "\t\t(%s)",
        "\u00e9\u00e8\u4e2d\uD83D\uDE00 = %s",
      };
      StringBuilder text = new StringBuilder();
      String name = "src/f" + (fileNo++) + "_" + type.name() + ".txt";
      long line = 1;
      for (String t : templates) {
        String key = Keys.real(type);
        String before = t.substring(0, t.indexOf("%s"));
        text.append("filler line with snake_case_words and sk_ and pk_live_ fragments\n");
        line++;
        text.append(String.format(t, key)).append('\n');
        placed.add(new Placed(name, line, before.length() + 1, key));
        line++;
        text.append("lookalike ").append(Keys.badChecksum(type)).append('\n');
        text.append("lookalike \"").append(Keys.badBody(type)).append("\"\n");
        text.append("glued x").append(Keys.real(type)).append('\n');
        text.append("glued ").append(Keys.real(type)).append("_tail\n");
        text.append("longer ").append(Keys.real(type)).append("Z\n");
        text.append("shorter ").append(Keys.real(type), 0, Keys.real(type).length() - 1);
        text.append('\n');
        text.append("upper ").append(Keys.real(type).toUpperCase()).append('\n');
        line += 7;
      }
      String last = Keys.real(type);
      text.append("no newline at end: ").append(last);
      placed.add(new Placed(name, line, "no newline at end: ".length() + 1, last));
      Path file = dir.resolve(name);
      Files.createDirectories(file.getParent());
      Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
    }
    return placed;
  }

  private List<Finding> scanDir() {
    List<Finding> found = new ArrayList<>();
    scanner.scanPaths(List.of(dir), new ScanStats(), found::add);
    return found;
  }

  @Test
  void scanPaths_corpus_findsEveryRealKeyAtItsPositionAndNoLookAlike() throws IOException {
    List<Placed> placed = writeCorpus(dir);

    List<Finding> found = scanDir();

    assertThat(found).hasSize(placed.size());
    Set<String> expected = new HashSet<>();
    for (Placed p : placed) {
      expected.add(
          dir.resolve(p.file()) + ":" + p.line() + ":" + p.column() + ":" + Keys.sha(p.key()));
    }
    Set<String> actual =
        found.stream()
            .map(f -> f.file() + ":" + f.line() + ":" + f.column() + ":" + f.fingerprint())
            .collect(Collectors.toSet());
    assertThat(actual).isEqualTo(expected);
    for (Finding f : found) {
      assertThat(f.secret().reveal()).startsWith(f.keyType().prefix());
      assertThat(Keys.FORMAT.identify(f.secret().reveal())).isEqualTo(f.keyType());
      assertThat(f.split()).isFalse();
      assertThat(f.endLine()).isEqualTo(f.line());
    }
  }

  @Test
  void scan_utf8BeforeKey_columnCountsUtf16CodeUnits() {
    String key = Keys.real("live_secret");
    byte[] text = ("a\n\u00e9\u4e2d\uD83D\uDE00 " + key + "\n").getBytes(StandardCharsets.UTF_8);

    List<Finding> found = scanner.scan("x", text);

    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.line()).isEqualTo(2);
              assertThat(f.column()).isEqualTo(6);
              assertThat(f.endColumn()).isEqualTo(6 + key.length());
            });
  }

  @Test
  void scan_crlfAndKeyAtStartOfData_found() {
    String a = Keys.real("test_secret");
    String b = Keys.real("live_public");
    List<Finding> found =
        scanner.scan("x", (a + "\r\nline\r\n" + b + "\r\n").getBytes(StandardCharsets.US_ASCII));

    assertThat(found).extracting(Finding::line).containsExactly(1L, 3L);
    assertThat(found).extracting(Finding::column).containsExactly(1, 1);
  }

  @Test
  void finding_redactedAndToString_neverContainTheKey() {
    String key = Keys.real("admin");
    Finding f = scanner.scan("x", key.getBytes(StandardCharsets.US_ASCII)).get(0);

    assertThat(f.redacted())
        .isEqualTo("kg_admin_" + key.substring(9, 13) + "…" + key.substring(key.length() - 4));
    assertThat(f.toString()).doesNotContain(key).doesNotContain(key.substring(9));
    assertThat(f.fingerprint()).isEqualTo(Keys.sha(key)).hasSize(64);
  }

  /**
   * {@code key} written in two pieces: {@code before}, its first {@code at} characters, {@code
   * between}, the rest, {@code after}.
   */
  private static String pieces(String before, String key, int at, String between, String after) {
    return before + key.substring(0, at) + between + key.substring(at) + after;
  }

  @Test
  void scan_splitForms_reassembledWithStartAndEndLine() {
    String k1 = Keys.real("live_secret");
    String k2 = Keys.real("test_secret");
    String k3 = Keys.real("live_restricted");
    String k4 = Keys.real("admin");
    String k5 = Keys.real("live_public");
    String k6 = Keys.real("test_public");
    String k7 = Keys.real("live_secret");
    String k8 = Keys.real("live_secret");
    String text =
        pieces("String a = \"", k1, 20, "\" +\n        \"", "\";\n")
            + "b = (\""
            + k2.substring(0, 8)
            + "\"\n     \""
            + k2.substring(8, 40)
            + "\"\n     '"
            + k2.substring(40)
            + "')\n"
            + pieces("C=\"", k3, 30, "\\\n", "\"\n")
            + pieces("export KEY=", k4, 25, "\\\r\n  ", "\n")
            + pieces("$k = '", k5, 15, "'\n  . '", "';\n")
            + pieces("[log] token=", k6, 40, "\n", " rest\n")
            + pieces("x = \"", k7, 12, "\" + \"", "\"\n")
            + pieces("y = \"", k8, 33, "\" \\\n  + \"", "\"\n");

    List<Finding> found = scanner.scan("split.txt", text.getBytes(StandardCharsets.US_ASCII));

    assertThat(found)
        .extracting(f -> f.secret().reveal())
        .containsExactly(k1, k2, k3, k4, k5, k6, k7, k8);
    assertThat(found).allMatch(Finding::split);
    assertThat(found)
        .extracting(Finding::line, Finding::endLine)
        .containsExactly(
            Tuple.tuple(1L, 2L),
            Tuple.tuple(3L, 5L),
            Tuple.tuple(6L, 7L),
            Tuple.tuple(8L, 9L),
            Tuple.tuple(10L, 11L),
            Tuple.tuple(12L, 13L),
            Tuple.tuple(14L, 14L),
            Tuple.tuple(15L, 16L));
    Finding first = found.get(0);
    assertThat(first.column()).isEqualTo("String a = \"".length() + 1);
    assertThat(first.endColumn()).isEqualTo("        \"".length() + (k1.length() - 20) + 1);
  }

  @Test
  void scan_splitLookAlikes_notReported() {
    KeyType t = Keys.TYPES.byName("live_secret").orElseThrow();
    String bad = Keys.badChecksum(t);
    String good = Keys.real(t);
    String text =
        pieces("a = \"", bad, 20, "\" +\n  \"", "\"\n")
            + pieces("b = \"", good, 20, "\" +\n  \"", "X\"\n")
            + pieces("c = \"", good.substring(0, 48), 20, "\" +\n  \"", "\"\n")
            + pieces("d = \"", good, 20, "\" ,\n  \"", "\"\n")
            + pieces("e = ", good, 20, "\n  ", "\n");

    assertThat(scanner.scan("x", text.getBytes(StandardCharsets.US_ASCII))).isEmpty();
  }

  @Test
  void scan_splitLinesDisabled_onlyWholeKeys() {
    String k = Keys.real("live_secret");
    String text = pieces("a = \"", k, 20, "\" +\n  \"", "\"\n") + k;
    Scanner plain = Scanner.builder().splitLines(false).build();

    assertThat(plain.scan("x", text.getBytes(StandardCharsets.US_ASCII)))
        .singleElement()
        .extracting(Finding::line)
        .isEqualTo(3L);
  }

  @Test
  void streamScan_keysAcrossChunkEdges_eachFoundOnceWithRightPosition() throws IOException {
    int chunk = 8192;
    StringBuilder sb = new StringBuilder();
    List<String> keys = new ArrayList<>();
    List<long[]> positions = new ArrayList<>();
    long line = 1;
    int col = 1;
    for (int i = 0; sb.length() < 12 * chunk; i++) {
      String filler = "x_y ".repeat(i % 97);
      sb.append(filler);
      col += filler.length();
      String key = Keys.real(Keys.TYPES.all().get(i % Keys.TYPES.all().size()));
      keys.add(key);
      positions.add(new long[] {line, col});
      sb.append(key);
      col += key.length();
      if (i % 3 == 0) {
        sb.append('\n');
        line++;
        col = 1;
      } else {
        sb.append(' ');
        col++;
      }
    }
    byte[] data = sb.toString().getBytes(StandardCharsets.US_ASCII);
    StreamScan small = new StreamScan(new KeyMatcher(Keys.TYPES, true), chunk);
    List<Finding> found = new ArrayList<>();
    ScanStats stats = new ScanStats();

    small.scan(new ByteArrayInputStream(data), "-", false, stats, found::add);

    assertThat(found).extracting(f -> f.secret().reveal()).containsExactlyElementsOf(keys);
    for (int i = 0; i < found.size(); i++) {
      assertThat(new long[] {found.get(i).line(), found.get(i).column()})
          .as("key %d", i)
          .containsExactly(positions.get(i));
    }
    assertThat(stats.bytes()).isEqualTo(data.length);
  }

  @Test
  void streamScan_splitKeyAcrossChunkEdge_found() throws IOException {
    int chunk = 8192;
    String k = Keys.real("live_secret");
    for (int offset = chunk - 1300; offset < chunk; offset += 37) {
      String text =
          "z".repeat(offset) + "\n\"" + k.substring(0, 20) + "\" +\n\"" + k.substring(20) + "\"\n";
      StreamScan small = new StreamScan(new KeyMatcher(Keys.TYPES, true), chunk);
      List<Finding> found = new ArrayList<>();
      small.scan(
          new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)),
          "-",
          false,
          new ScanStats(),
          found::add);
      assertThat(found)
          .as("offset %d", offset)
          .singleElement()
          .extracting(Finding::line)
          .isEqualTo(2L);
    }
  }

  @Test
  void scanStream_stdinLikeInput_fileNamedDash() throws IOException {
    String k = Keys.real("live_secret");
    List<Finding> found = new ArrayList<>();
    scanner.scanStream(
        "-",
        new ByteArrayInputStream(
            ("log line\nuser sent " + k + "\n").getBytes(StandardCharsets.US_ASCII)),
        new ScanStats(),
        found::add);

    assertThat(found)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.file()).isEqualTo("-");
              assertThat(f.line()).isEqualTo(2);
              assertThat(f.column()).isEqualTo(11);
            });
  }

  @Test
  void scanPaths_skipsBinaryAndGitDirectoryAndIgnoredFiles() throws IOException {
    String visible = Keys.real("live_secret");
    Files.writeString(dir.resolve("visible.txt"), visible);
    byte[] binary = ("\0\1\2" + Keys.real("live_secret")).getBytes(StandardCharsets.US_ASCII);
    Files.write(dir.resolve("image.bin"), binary);
    Files.createDirectories(dir.resolve(".git"));
    Files.writeString(dir.resolve(".git/config"), Keys.real("live_secret"));
    Files.writeString(dir.resolve(".gitignore"), "*.log\nbuild/\n!keep.log\n");
    Files.writeString(dir.resolve("debug.log"), Keys.real("live_secret"));
    String kept = Keys.real("test_secret");
    Files.writeString(dir.resolve("keep.log"), kept);
    Files.createDirectories(dir.resolve("build"));
    Files.writeString(dir.resolve("build/out.txt"), Keys.real("live_secret"));
    Files.createDirectories(dir.resolve("sub/deeper"));
    Files.writeString(dir.resolve("sub/.gitignore"), "secret.txt\n");
    Files.writeString(dir.resolve("sub/deeper/secret.txt"), Keys.real("live_secret"));
    Files.writeString(dir.resolve("sub/deeper/.gitignore"), "!secret.txt\nlocal.env\n");
    String reincluded = Keys.real("admin");
    Files.writeString(dir.resolve("sub/deeper/secret.txt"), reincluded);
    Files.writeString(dir.resolve("sub/deeper/local.env"), Keys.real("live_secret"));
    Files.writeString(dir.resolve("sub/secret.txt"), Keys.real("live_secret"));
    ScanStats stats = new ScanStats();
    List<Finding> found = new ArrayList<>();

    scanner.scanPaths(List.of(dir), stats, found::add);

    assertThat(found)
        .extracting(f -> f.secret().reveal())
        .containsExactlyInAnyOrder(visible, kept, reincluded);
    assertThat(stats.skippedBinary()).isEqualTo(1);

    List<Finding> all = new ArrayList<>();
    Scanner.builder()
        .respectGitignore(false)
        .build()
        .scanPaths(List.of(dir), new ScanStats(), all::add);
    assertThat(all).hasSize(7);
  }

  @Test
  void scanPaths_gitignoreAboveScanRoot_applies() throws IOException {
    Files.createDirectories(dir.resolve(".git"));
    Files.writeString(dir.resolve(".gitignore"), "generated/\n");
    Files.createDirectories(dir.resolve("app/generated"));
    Files.writeString(dir.resolve("app/generated/k.txt"), Keys.real("live_secret"));
    String k = Keys.real("live_secret");
    Files.writeString(dir.resolve("app/k.txt"), k);
    List<Finding> found = new ArrayList<>();

    scanner.scanPaths(List.of(dir.resolve("app")), new ScanStats(), found::add);

    assertThat(found).extracting(f -> f.secret().reveal()).containsExactly(k);
  }

  @Test
  void scanPaths_explicitIgnoredFile_isScanned() throws IOException {
    Files.writeString(dir.resolve(".gitignore"), "*.env\n");
    String k = Keys.real("live_secret");
    Files.writeString(dir.resolve("prod.env"), "KEY=" + k + "\n");
    List<Finding> found = new ArrayList<>();

    scanner.scanPaths(List.of(dir.resolve("prod.env")), new ScanStats(), found::add);

    assertThat(found).singleElement().extracting(Finding::column).isEqualTo(5);
  }

  @Test
  void scanPaths_missingPath_rejected() {
    assertThatThrownBy(
            () -> scanner.scanPaths(List.of(dir.resolve("nope")), new ScanStats(), f -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nope");
  }

  @Test
  void builder_customTypes_onlyThosePrefixes() {
    KeyTypes custom = KeyTypes.of(List.of(new KeyType("acme", "acme_", true, false)));
    String acme =
        new KeyFormat(custom, SecureRandom::new)
            .generate(custom.byName("acme").orElseThrow())
            .reveal();
    String text = acme + " " + Keys.real("live_secret");

    List<Finding> found =
        Scanner.builder()
            .keyTypes(custom)
            .build()
            .scan("x", text.getBytes(StandardCharsets.US_ASCII));

    assertThat(found).singleElement().extracting(f -> f.keyType().name()).isEqualTo("acme");
  }
}
