package io.keygate.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The settings table is the one source of the README's settings table and of every default.
 *
 * <p>After adding or changing a setting, regenerate the README's table with {@code ./mvnw -o -pl
 * keygate-server -am -Dtest=SettingsTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dkeygate.updateReadme=true test}.
 */
class SettingsTest {
  private static final String BEGIN = "<!-- settings table: generated from Settings.java -->\n";
  private static final String END = "<!-- end of settings table -->";
  private static final Pattern VARIABLE = Pattern.compile("KEYGATE_[A-Z0-9_]*[A-Z0-9]");

  /**
   * Names the docs use that are not server settings: the tests' switch for external tools, the CI
   * secret that docs/scanner.md's GitHub Actions step reads the token from, and the bench scripts'
   * and launcher's switches (bench/lib.sh).
   */
  private static final Set<String> NOT_SETTINGS =
      Set.of(
          "KEYGATE_REQUIRE_TOOLS",
          "KEYGATE_LEAKS_TOKEN",
          "KEYGATE_SKIP_BUILD",
          "KEYGATE_JAVA_OPTS");

  @Test
  void readmeSettingsTable_isTheTableGeneratedFromTheSettings() throws IOException {
    Path readme = repoRoot().resolve("README.md");
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    assertThat(begin).as("README.md marks its settings table with " + BEGIN).isNotNegative();
    assertThat(end).isGreaterThan(begin);
    String documented = text.substring(begin + BEGIN.length(), end);
    String generated = Settings.markdownTable();
    if (!documented.equals(generated) && Boolean.getBoolean("keygate.updateReadme")) {
      Files.writeString(
          readme,
          text.substring(0, begin + BEGIN.length()) + generated + text.substring(end),
          StandardCharsets.UTF_8);
      documented = generated;
    }
    assertThat(documented)
        .as("README.md's settings table; regenerate it with -Dkeygate.updateReadme=true")
        .isEqualTo(generated);
  }

  @Test
  void everyVariableTheDocsName_isASetting() throws IOException {
    Set<String> known = new TreeSet<>(NOT_SETTINGS);
    Settings.all().forEach(s -> known.add(s.variable()));
    Path root = repoRoot();
    Set<String> unknown = new TreeSet<>();
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      for (Path p :
          Stream.concat(Stream.of(root.resolve("README.md")), docs)
              .filter(p -> p.toString().endsWith(".md"))
              .toList()) {
        Matcher m = VARIABLE.matcher(Files.readString(p, StandardCharsets.UTF_8));
        while (m.find()) {
          if (!known.contains(m.group())) {
            unknown.add(root.relativize(p) + ": " + m.group());
          }
        }
      }
    }
    assertThat(unknown).as("variables documented but not in Settings").isEmpty();
  }

  @Test
  void everyDefault_isValid_andReadsBackAsWritten() {
    for (Setting<?> s : Settings.all()) {
      assertThat(s.from(Map.of())).as(s.variable()).isEqualTo(s.defaultValue());
      if (s.defaultValue() != null) {
        assertThat(roundTrip(s)).as(s.variable()).isEqualTo(s.defaultValue());
      }
    }
  }

  @Test
  void flagsOverlaidOnTheEnvironment_winOverTheVariable_andAreValidatedLikeIt() {
    Map<String, String> env = new HashMap<>(Map.of("KEYGATE_PORT", "9000"));
    Settings.PORT.overlay(env, 9100);
    Settings.HOST.overlay(env, null);
    assertThat(ServerConfig.fromEnv(env).port()).isEqualTo(9100);
    assertThat(ServerConfig.fromEnv(env).host()).isEqualTo(ServerConfig.DEFAULT_HOST);
    assertThat(Settings.describe(env)).containsEntry("KEYGATE_PORT", "9100");
  }

  private static <T> T roundTrip(Setting<T> s) {
    return s.from(Map.of(s.variable(), s.format().apply(s.defaultValue())));
  }

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("mvnw"))) {
      p = p.getParent();
    }
    assertThat(p).as("repository root (the directory with mvnw)").isNotNull();
    return p;
  }
}
