package io.keygate.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.request.RequestTarget;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointRulesTest {

  /** Matches as the verifier does: on the canonical path every {@link VerifyRequest} holds. */
  private static boolean matches(String rule, String method, String target) {
    return EndpointRules.compile(List.of(rule)).matches(method, RequestTarget.path(target));
  }

  @ParameterizedTest(name = "{0} on {1} {2}: {3}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          GET /v1/data/** | GET    | /v1/data       | true
          GET /v1/data/** | GET    | /v1/data/      | true
          GET /v1/data/** | GET    | /v1/data/a/b/c | true
          GET /v1/data/** | GET    | /v1/database   | false
          GET /v1/data/** | get    | /v1/data/x     | true
          GET /v1/data/** | HEAD   | /v1/data/x     | true
          GET /v1/data/** | DELETE | /v1/data/x     | false
          * /v1/*/items   | PUT    | /v1/abc/items  | true
          * /v1/*/items   | PUT    | /v1/items      | false
          * /**/admin     | GET    | /a/b/admin     | true
          * /**/admin/**  | GET    | /admin         | true
          POST /          | POST   | /              | true
          POST /          | POST   | /x             | false
          """)
  void examples(String rule, String method, String target, boolean expected) {
    assertThat(matches(rule, method, target)).isEqualTo(expected);
  }

  @Test
  void pathsThatMeanTheSameUpstream_matchTheSameRules() {
    for (String p :
        List.of(
            "/v1/public/x",
            "/v1//public///x/",
            "/v1/public/./x",
            "/v1/admin/../public/x",
            "/v1/%70ublic/x",
            "/v1/public/x?y=/v1/admin#/v1/admin")) {
      assertThat(matches("* /v1/public/*", "GET", p)).as(p).isTrue();
    }
    assertThat(matches("* /v1/public/**", "GET", "/v1/public/../admin")).isFalse();
  }

  @Test
  void escapes_areComparedDecoded() {
    assertThat(matches("GET /v1/a+b", "GET", "/v1/a%2Bb")).isTrue();
    assertThat(matches("GET /v1/*", "GET", "/v1/a%20b")).isTrue();
    assertThat(matches("GET /v1/caf", "GET", "/v1/caf%C3%A9")).isFalse();
  }

  @Test
  void missingMethodOrPath_matchesNothing() {
    EndpointRules r = EndpointRules.compile(List.of("* /**"));
    assertThat(r.matches(null, "/x")).isFalse();
    assertThat(r.matches("GET", null)).isFalse();
    assertThat(r.matches("GET", "/x")).isTrue();
  }

  @Test
  void malformedRules_areRejectedWithReason() {
    assertThatThrownBy(() -> EndpointRules.validate("GET /v1//x"))
        .hasMessageContaining("empty segment");
    assertThatThrownBy(() -> EndpointRules.validate("get /v1")).hasMessageContaining("method");
    assertThatThrownBy(() -> EndpointRules.validate("GET  /v1")).hasMessageContaining("path");
    assertThatThrownBy(() -> EndpointRules.validate("GET /v1/a*")).hasMessageContaining("whole");
    assertThatThrownBy(() -> EndpointRules.validate("GET /v1/../x")).hasMessageContaining("'..'");
    assertThat(EndpointRules.compile(List.of("read", "write"))).isNull();
  }

  // ------------------------------------------------------------------ properties

  @Provide
  Arbitrary<List<String>> segmentLists() {
    return Arbitraries.of("a", "b", "v1", "data", "x-y").list().ofMaxSize(6);
  }

  @Provide
  Arbitrary<List<String>> patterns() {
    return Arbitraries.of("a", "b", "v1", "data", "*", "**").list().ofMaxSize(5);
  }

  /** Reference semantics: straightforward recursion over segments. */
  private static boolean reference(List<String> pat, List<String> segs) {
    if (pat.isEmpty()) {
      return segs.isEmpty();
    }
    String p = pat.get(0);
    if (p.equals("**")) {
      for (int i = 0; i <= segs.size(); i++) {
        if (reference(pat.subList(1, pat.size()), segs.subList(i, segs.size()))) {
          return true;
        }
      }
      return false;
    }
    return !segs.isEmpty()
        && (p.equals("*") || p.equals(segs.get(0)))
        && reference(pat.subList(1, pat.size()), segs.subList(1, segs.size()));
  }

  @Property(tries = 2000)
  void glob_agreesWithReference(
      @ForAll("patterns") List<String> pat, @ForAll("segmentLists") List<String> segs) {
    String rule = "GET /" + String.join("/", pat);
    String path = "/" + String.join("/", segs);
    assertThat(matches(rule, "GET", path)).isEqualTo(reference(pat, segs));
  }

  @Property(tries = 500)
  void doubleStarSuffix_matchesEveryExtension(
      @ForAll("segmentLists") List<String> prefix, @ForAll("segmentLists") List<String> rest) {
    List<String> all = new ArrayList<>(prefix);
    all.addAll(rest);
    String rule = "* /" + String.join("/", prefix) + (prefix.isEmpty() ? "**" : "/**");
    assertThat(matches(rule, "PATCH", "/" + String.join("/", all))).isTrue();
  }

  @Property(tries = 500)
  void literalRule_matchesOnlyItself(
      @ForAll("segmentLists") List<String> a, @ForAll("segmentLists") List<String> b) {
    String rule = "GET /" + String.join("/", a);
    assertThat(matches(rule, "GET", "/" + String.join("/", b))).isEqualTo(a.equals(b));
  }
}
