package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathRuleTest {

  @Test
  void parse_lineForm_readsMethodPatternAndScopes() {
    PathRule r = PathRule.parse("GET /api/data/** -> read, admin");
    assertThat(r.method()).isEqualTo("GET");
    assertThat(r.pattern()).isEqualTo("/api/data/**");
    assertThat(r.scopes()).containsExactly("read", "admin");
    assertThat(r).hasToString("GET /api/data/** -> read,admin");
  }

  @Test
  void parse_withoutArrow_meansAnyValidKey() {
    PathRule r = PathRule.parse("* /private/**");
    assertThat(r.method()).isEqualTo("*");
    assertThat(r.scopes()).isEmpty();
  }

  @Test
  void parse_malformed_throwsNamingTheRule() {
    assertThatThrownBy(() -> PathRule.parse("/api/data -> read"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/api/data -> read");
    assertThatThrownBy(() -> new PathRule("GET", "api/data", List.of()))
        .hasMessageContaining("must start with '/'");
    assertThatThrownBy(() -> new PathRule("G-T", "/x", List.of()))
        .hasMessageContaining("HTTP method");
  }

  @Test
  void constructor_nullMethod_meansAnyAndLowerCaseIsNormalised() {
    assertThat(new PathRule(null, "/x", null).method()).isEqualTo("*");
    assertThat(new PathRule("post", "/x", null).method()).isEqualTo("POST");
  }

  @ParameterizedTest(name = "{0} {1} ~ {2} {3} -> {4}")
  @CsvSource({
    "GET, /api/data/**, GET, /api/data, true",
    "GET, /api/data/**, GET, /api/data/, true",
    "GET, /api/data/**, GET, /api/data/7/items, true",
    "GET, /api/data/**, GET, /api/database, false",
    "GET, /api/data/**, GET, //api//data, true",
    "GET, /api/data/**, HEAD, /api/data, true",
    "GET, /api/data/**, POST, /api/data, false",
    "*, /api/**, DELETE, /api/x, true",
    "GET, /api/*/items, GET, /api/7/items, true",
    "GET, /api/*/items, GET, /api/7/8/items, false",
    "GET, /api/**/items, GET, /api/7/8/items, true",
    "GET, /api/**/items, GET, /api/items, true",
    "GET, /file?.txt, GET, /file1.txt, true",
    "GET, /file?.txt, GET, /file12.txt, false",
    "GET, /a.b, GET, /aXb, false",
    "GET, /API/data, GET, /api/data, false",
    "GET, /**, GET, /, true",
    "GET, /, GET, /, true",
    "GET, /, GET, /x, false",
  })
  void matches_antPatterns(
      String method, String pattern, String reqMethod, String path, boolean expected) {
    assertThat(new PathRule(method, pattern, List.of()).matches(reqMethod, path))
        .isEqualTo(expected);
  }
}
