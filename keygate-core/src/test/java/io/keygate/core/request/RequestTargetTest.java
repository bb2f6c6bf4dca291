package io.keygate.core.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.keygate.core.KeygateException;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RequestTargetTest {
  private static final KeyFormat FORMAT = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);

  private static String key(String type) {
    return FORMAT.generate(FORMAT.types().byName(type).orElseThrow()).reveal();
  }

  // ------------------------------------------------------------------ path normalisation

  static Stream<Arguments> canonicalPaths() {
    return Stream.of(
        arguments("/", "/"),
        arguments("/v1/data", "/v1/data"),
        arguments("/v1/data/", "/v1/data"),
        arguments("//v1///data//", "/v1/data"),
        arguments("/v1/data?x=1&y=2", "/v1/data"),
        arguments("/v1/data#frag", "/v1/data"),
        arguments("/v1/data?x=1#frag", "/v1/data"),
        arguments("/v1/data#frag?x=1", "/v1/data"),
        arguments("/v1/./data", "/v1/data"),
        arguments("/v1/public/../admin", "/v1/admin"),
        arguments("/v1/public/x/../../admin", "/v1/admin"),
        arguments("/v1/..", "/"),
        arguments("/v1/%64ata", "/v1/data"),
        arguments("/v1/%7Euser", "/v1/~user"),
        arguments("/v1/a%20b", "/v1/a%20b"),
        arguments("/v1/a%3fb", "/v1/a%3Fb"),
        arguments("/v1/a%23b", "/v1/a%23b"),
        arguments("/v1/caf%c3%a9", "/v1/caf%C3%A9"),
        arguments("/v1/%F0%9F%94%91", "/v1/%F0%9F%94%91"),
        arguments("/v1/a.b/...json", "/v1/a.b/...json"),
        arguments("/v1/users/jos%C3%A9", "/v1/users/jos%C3%A9"),
        arguments("/v1/%E2%84%A2", "/v1/%E2%84%A2"),
        arguments("/v1/a:b@c!$&'()*+,=", "/v1/a:b@c!$&'()*+,="),
        arguments("/v1/a%2eb", "/v1/a.b"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("canonicalPaths")
  void path_isDecodedResolvedAndCanonical(String target, String canonical) {
    assertThat(RequestTarget.path(target)).isEqualTo(canonical);
    assertThat(RequestTarget.path(canonical)).as("fixed point").isEqualTo(canonical);
  }

  static Stream<Arguments> refusedPaths() {
    return Stream.of(
        arguments("", "must start with '/'"),
        arguments("?x=1", "must start with '/'"),
        arguments("v1/data", "must start with '/'"),
        arguments("http://evil/v1/data", "must start with '/'"),
        arguments("*", "must start with '/'"),
        arguments("/..", "above the root"),
        arguments("/v1/../../admin", "above the root"),
        arguments("/v1/public/%2e%2e/admin", "encoded '.' or '..'"),
        arguments("/v1/public/%2E%2E/admin", "encoded '.' or '..'"),
        arguments("/v1/public/.%2e/admin", "encoded '.' or '..'"),
        arguments("/v1/public/%2e/admin", "encoded '.' or '..'"),
        arguments("/v1/public/a%2fb", "decodes to '/'"),
        arguments("/v1/public/..%2Fadmin", "decodes to '/'"),
        arguments("/v1/public/a%5cb", "decodes to a backslash"),
        arguments("/v1/public/%252e%252e/admin", "double percent-encoding"),
        arguments("/v1/public/%25", "double percent-encoding"),
        arguments("/v1/public/%00", "control character U+0000"),
        arguments("/v1/public/a%0d%0ab", "control character U+000D"),
        arguments("/v1/public/%c2%85", "control character U+0085"),
        arguments("/v1/public/%3b", "decodes to ';'"),
        arguments("/v1/public/..;/admin", "path parameters"),
        arguments("/v1/public/x;jsessionid=1", "path parameters"),
        arguments("/v1/public/%C0%AE%C0%AE/admin", "not valid UTF-8"),
        arguments("/v1/public/%C0%AF", "not valid UTF-8"),
        arguments("/v1/public/%ED%A0%80", "not valid UTF-8"),
        arguments("/v1/public/%E2%82", "not valid UTF-8"),
        arguments("/v1/public/%FF", "not valid UTF-8"),
        arguments("/v1/public/%", "two hex digits"),
        arguments("/v1/public/%2", "two hex digits"),
        arguments("/v1/public/%zz", "two hex digits"),
        arguments("/v1/public/%%32%65", "two hex digits"),
        arguments("/v1/public/a b", "a space"),
        arguments("/v1/public/caf\u00e9", "raw non-ASCII"),
        arguments("/v1/public/\uff0e\uff0e", "raw non-ASCII"),
        arguments("/v1/public/a\"b", "'\"'"),
        arguments("/v1/public/{x}", "'{'"),
        arguments("/v1/public/a|b", "'|'"),
        arguments("/v1/public/a^b", "'^'"),
        arguments("/v1/public/a`b", "'`'"),
        arguments("/v1/public/[x]", "'['"),
        arguments("/v1/public/.../admin", "only dots and spaces"),
        arguments("/v1/public/..%20/admin", "only dots and spaces"),
        arguments("/v1/public/.%20./admin", "only dots and spaces"),
        arguments("/v1/public/%EF%BC%8E%EF%BC%8E/admin", "compatibility form"),
        arguments("/v1/public/..%EF%BC%8Fadmin", "compatibility form"),
        arguments("/v1/public/a%EF%BC%BCb", "compatibility form"),
        arguments("/v1/public/%EF%BC%85%EF%BC%92%EF%BD%85", "compatibility form"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("refusedPaths")
  void path_refusesWhatCouldMeanSomethingElseUpstream(String target, String reason) {
    assertThatThrownBy(() -> RequestTarget.path(target))
        .isInstanceOfSatisfying(
            KeygateException.InvalidRequest.class,
            e -> assertThat(e.code()).isEqualTo("invalid_path"))
        .hasMessageContaining(reason);
  }

  @Test
  void path_refusesBackslashesAndControlCharacters_raw() {
    for (String t : List.of("/v1\\..\\admin", "/v1/a\u0000b", "/v1/a\tb", "/v1/a\u007fb")) {
      assertThatThrownBy(() -> RequestTarget.path(t))
          .as(t)
          .isInstanceOf(KeygateException.InvalidRequest.class)
          .hasMessageNotContaining(t);
    }
  }

  @Test
  void path_ofNull_isNull() {
    assertThat(RequestTarget.path(null)).isNull();
  }

  /** Whatever is accepted normalises to a fixed point that holds no ambiguity. */
  @Property(tries = 3000)
  void path_acceptedTargets_normaliseToAFixedPoint(@ForAll("targets") String target) {
    String p;
    try {
      p = RequestTarget.path(target);
    } catch (KeygateException.InvalidRequest e) {
      assertThat(e.code()).isEqualTo("invalid_path");
      return;
    }
    assertThat(RequestTarget.path(p)).isEqualTo(p);
    assertThat(p).startsWith("/").doesNotContain("//", "\\", ";", "?", "#").doesNotEndWith("/.");
    if (p.length() > 1) {
      assertThat(p).doesNotEndWith("/");
      for (String seg : p.substring(1).split("/")) {
        assertThat(seg).isNotIn(".", "..");
        assertThat(seg.toLowerCase()).doesNotContain("%2f", "%5c", "%25", "%2e", "%00");
      }
    }
  }

  @Provide
  Arbitrary<String> targets() {
    Arbitrary<String> piece =
        Arbitraries.of(
            "/", "/", "a", "v1", ".", "..", "%2e", "%2E", "%2f", "%5c", "%25", "%41", "%c3%a9",
            "%C0%AE", ";", "\\", "?", "#", "%", "%2", " ", "~", "%3F", "%00", "é", "+", ":", "@");
    return piece.list().ofMinSize(1).ofMaxSize(12).map(l -> "/" + String.join("", l));
  }

  // ------------------------------------------------------------------ keys in URLs

  @Test
  void findKey_findsAKeyWhereverItIsInTheTarget() {
    String k = key("live_secret");
    String enc = URLEncoder.encode(k, StandardCharsets.UTF_8);
    String escapedAll = percentEncodeEveryCharacter(k);
    List<String> targets =
        List.of(
            "/v1/data?api_key=" + k,
            "/v1/data?x=1&" + k + "=1",
            "/v1/data?x=1;token=" + k,
            "/v1/data?auth=Bearer%20" + k,
            "/v1/data?auth=Bearer+" + k,
            "/v1/data?auth=bearer:" + k,
            "/v1/" + k + "/data",
            "/v1/data/" + k,
            "/v1/data;key=" + k,
            "/v1/data#" + k,
            "/v1/data#access_token=" + k,
            "/v1/data?k=" + enc,
            "/v1/data?k=" + escapedAll,
            "/v1/" + escapedAll,
            "/v1/data?k=" + escapedAll.replace("%", "%25"),
            "/v1/data?k=" + escapedAll.replace("%", "%25").replace("%", "%25"),
            "/v1/data?k=xx" + k + "yy",
            "/v1/data?k=" + k.toUpperCase().charAt(0) + k.substring(1),
            k);
    for (String t : targets.subList(0, targets.size() - 2)) {
      ApiKeySecret found = RequestTarget.findKey(t, FORMAT);
      assertThat(found).as(t).isNotNull();
      assertThat(found.reveal()).as(t).isEqualTo(k);
    }
    assertThat(RequestTarget.findKey(k, FORMAT).reveal()).isEqualTo(k);
    // "Sk_live_…" is not a Keygate prefix: not a key
    assertThat(RequestTarget.findKey(targets.get(targets.size() - 2), FORMAT)).isNull();
  }

  @Test
  void findKey_everyKeyType() {
    for (var t : FORMAT.types().all()) {
      String k = FORMAT.generate(t).reveal();
      assertThat(RequestTarget.findKey("/x?q=" + k, FORMAT)).as(t.name()).isNotNull();
    }
  }

  @Test
  void findKey_ignoresLookAlikesAndOrdinaryUrls() {
    String k = key("live_secret");
    String badChecksum = k.substring(0, k.length() - 1) + (k.endsWith("A") ? "B" : "A");
    for (String t :
        List.of(
            "/v1/data?page=2&sort=name",
            "/v1/data?k=" + badChecksum,
            "/v1/data?k=" + k.substring(0, k.length() - 1),
            "/v1/data?k=sk_live_" + "A".repeat(49),
            "/v1/" + "_".repeat(200) + "%" + "A".repeat(60),
            "")) {
      assertThat(RequestTarget.findKey(t, FORMAT)).as(t).isNull();
    }
    assertThat(RequestTarget.findKey(null, FORMAT)).isNull();
  }

  @Test
  void findKey_toStringNeverRevealsTheKey() {
    String k = key("live_secret");
    assertThat(RequestTarget.findKey("/x?k=" + k, FORMAT).toString()).doesNotContain(k);
  }

  private static String percentEncodeEveryCharacter(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(String.format("%%%02X", (int) c));
    }
    return b.toString();
  }
}
