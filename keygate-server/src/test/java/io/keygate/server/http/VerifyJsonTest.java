package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.keygate.core.KeygateException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link VerifyJson} is an exact stand-in for the mapper ({@link Json}) on {@code /v1/verify}:
 * written answers are byte for byte what the mapper writes; a body read on the fast path is what
 * the mapper binds, and a body it declines is left to the mapper (so errors stay the mapper's).
 * Plain bodies must take the fast path, or the route would quietly lose its speed. Tries: {@code
 * jqwik.tries.default}.
 */
class VerifyJsonTest {
  private static final List<String> FIELDS =
      List.of(
          "key",
          "required_scopes",
          "required_scopes_all",
          "ip",
          "method",
          "path",
          "cost",
          "user_agent");

  // ---- answers ----

  /** What the mapper itself writes for {@code value} (bypassing the fast path). */
  private static String mapper(Object value) throws Exception {
    return new String(
        Json.MAPPER.writerFor(value.getClass()).writeValueAsBytes(value), StandardCharsets.UTF_8);
  }

  @Provide
  Arbitrary<String> texts() {
    return Arbitraries.oneOf(
        Arbitraries.strings().all().ofMaxLength(30),
        Arbitraries.strings().alpha().numeric().withChars('_', '-', '"', '\\', '/').ofMaxLength(40),
        Arbitraries.just(null));
  }

  @Provide
  Arbitrary<Instant> instants() {
    return Arbitraries.oneOf(
        Arbitraries.longs()
            .between(-100_000_000_000L, 300_000_000_000L)
            .flatMap(
                s ->
                    Arbitraries.of(0, 1_000_000, 123_000_000, 1, 999_999_999)
                        .map(n -> Instant.ofEpochSecond(s, n))),
        Arbitraries.just(null));
  }

  @Provide
  Arbitrary<Object> metaValues() {
    Arbitrary<Object> leaf =
        Arbitraries.oneOf(
            Arbitraries.strings().all().ofMaxLength(10).map(s -> (Object) s),
            Arbitraries.longs().map(l -> (Object) l),
            Arbitraries.integers().map(i -> (Object) i),
            Arbitraries.doubles().map(d -> (Object) d),
            Arbitraries.of(true, false).map(b -> (Object) b),
            Arbitraries.just(null));
    return Arbitraries.oneOf(
        leaf,
        leaf.list().ofMaxSize(3).map(l -> (Object) l),
        Arbitraries.maps(Arbitraries.strings().ofMaxLength(5), leaf)
            .ofMaxSize(3)
            .map(m -> (Object) new LinkedHashMap<>(m)));
  }

  @Provide
  Arbitrary<Views.VerifyResult> results() {
    Arbitrary<List<String>> scopes =
        Arbitraries.oneOf(
            Arbitraries.strings().all().ofMaxLength(12).list().ofMaxSize(4),
            Arbitraries.just(null));
    Arbitrary<Map<String, Object>> meta =
        Arbitraries.oneOf(
            Arbitraries.maps(Arbitraries.strings().all().ofMaxLength(8), metaValues())
                .ofMaxSize(4)
                .map(m -> (Map<String, Object>) new LinkedHashMap<>(m)),
            Arbitraries.just(Map.of()),
            Arbitraries.just(null));
    Arbitrary<List<Views.LimitView>> limits =
        Arbitraries.oneOf(
            Combinators.combine(
                    texts(), Arbitraries.longs(), Arbitraries.longs(), Arbitraries.longs())
                .as(Views.LimitView::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(3),
            Arbitraries.just(null));
    Arbitrary<Views.QuotaRemaining> quota =
        Arbitraries.oneOf(
            Arbitraries.longs().map(Views.QuotaRemaining::new), Arbitraries.just(null));
    Arbitrary<Long> retry = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.just(null));
    return Combinators.combine(
            Combinators.combine(Arbitraries.of(true, false), texts(), texts(), texts(), texts())
                .as((a, b, c, d, e) -> java.util.Arrays.<Object>asList(a, b, c, d, e)),
            texts(),
            scopes,
            instants(),
            meta,
            limits,
            quota,
            retry)
        .as(
            (head, type, sc, exp, m, l, q, r) ->
                new Views.VerifyResult(
                    (Boolean) head.get(0),
                    (String) head.get(1),
                    (String) head.get(2),
                    (String) head.get(3),
                    (String) head.get(4),
                    type,
                    sc,
                    exp,
                    m,
                    l,
                    q,
                    r));
  }

  /**
   * The bytes written without the mapper, when the fast path takes {@code value}, and those {@link
   * Json#write} gives in every case, are the mapper's own.
   */
  private static void writesTheMappersBytes(Object value) throws Exception {
    byte[] fast = VerifyJson.write(value);
    if (fast != null) {
      assertThat(new String(fast, StandardCharsets.UTF_8)).isEqualTo(mapper(value));
      assertThat(Json.write(value)).isEqualTo(fast); // Json hands it to the fast path
    }
    assertThat(new String(Json.write(value), StandardCharsets.UTF_8)).isEqualTo(mapper(value));
  }

  @Property
  void write_givesTheMappersBytes(@ForAll("results") Views.VerifyResult r) throws Exception {
    writesTheMappersBytes(r);
  }

  @Example
  void write_plainBodies_takeThePathWithoutAGenerator() {
    Views.VerifyResult r =
        validAcme(
            Instant.parse("2027-01-02T03:04:05Z"),
            List.of(new Views.LimitView("m", 5, 4, 60)),
            new Views.QuotaRemaining(9),
            3L);
    assertThat(VerifyJson.Plain.verifyResult(r)).isEqualTo(VerifyJson.write(r)).isNotNull();
    assertThat(VerifyJson.Plain.authzOk(new Views.AuthzOk(true, "valid", "key_1", null)))
        .isNotNull();
    assertThat(VerifyJson.Plain.errorBody(new Views.ErrorBody("invalid_key", "no"))).isNotNull();
    // anything needing an escape goes to the mapper
    assertThat(VerifyJson.Plain.errorBody(new Views.ErrorBody("invalid_key", "a \"b\""))).isNull();
    assertThat(VerifyJson.Plain.authzOk(new Views.AuthzOk(true, "valid", "key_1", "é"))).isNull();
    // a non-empty meta is spliced in as the mapper writes it
    Views.VerifyResult withMeta = validFor("acme", Map.of("plan", "pro"));
    assertThat(VerifyJson.Plain.verifyResult(withMeta)).isNotNull().isEqualTo(Json.write(withMeta));
  }

  /** A valid answer for key_1 of owner acme with scope read, an empty meta and these fields. */
  private static Views.VerifyResult validAcme(
      Instant expiresAt,
      List<Views.LimitView> limits,
      Views.QuotaRemaining quota,
      Long retryAfter) {
    return new Views.VerifyResult(
        true,
        "valid",
        null,
        "key_1",
        "acme",
        "live_secret",
        List.of("read"),
        expiresAt,
        Map.of(),
        limits,
        quota,
        retryAfter);
  }

  /** A valid answer for owner {@code owner}, who also names the one scope, without limits. */
  private static Views.VerifyResult validFor(String owner, Map<String, Object> meta) {
    return new Views.VerifyResult(
        true,
        "valid",
        null,
        "key_1",
        owner,
        "live_secret",
        List.of(owner),
        null,
        meta,
        null,
        null,
        null);
  }

  @Example
  void write_surrogatesAndEscapes_giveTheMappersBytes() throws Exception {
    for (String s :
        List.of(
            "owner-😀",
            "\ud800",
            "x\udc00y",
            "é",
            "tab\there",
            "q\"uote",
            "back\\slash",
            "\u007f")) {
      Views.VerifyResult r = validFor(s, Map.of());
      writesTheMappersBytes(r);
      writesTheMappersBytes(new Views.AuthzOk(true, "valid", "key_1", s));
      writesTheMappersBytes(new Views.ErrorBody("invalid_key", s));
    }
  }

  /** A valid answer expiring at {@code t} is written with {@link Instant#toString()}'s text. */
  private static void writesExpiry(Instant t) throws Exception {
    Views.VerifyResult r = validAcme(t, null, null, null);
    writesTheMappersBytes(r);
    assertThat(new String(VerifyJson.write(r), StandardCharsets.UTF_8))
        .contains("\"expires_at\":\"" + t + "\"");
  }

  @Property
  void expiresAt_isToString(@ForAll("instants") Instant t) throws Exception {
    if (t != null) {
      writesExpiry(t);
    }
  }

  @Example
  void expiresAt_atTheEdgesOfFourDigitYears() throws Exception {
    for (Instant t :
        List.of(
            Instant.parse("0000-01-01T00:00:00Z"),
            Instant.parse("0000-01-01T00:00:00Z").minusNanos(1),
            Instant.parse("9999-12-31T23:59:59.999999999Z"),
            Instant.parse("9999-12-31T23:59:59.999999999Z").plusNanos(1),
            Instant.EPOCH,
            Instant.parse("2027-11-28T09:57:10.460Z"),
            Instant.parse("2027-11-28T09:57:10.000460Z"))) {
      writesExpiry(t);
    }
  }

  @Property
  void writeAuthzAndErrorBodies_giveTheMappersBytes(
      @ForAll boolean valid,
      @ForAll("texts") String a,
      @ForAll("texts") String b,
      @ForAll("texts") String c)
      throws Exception {
    writesTheMappersBytes(new Views.AuthzOk(valid, a, b, c));
    writesTheMappersBytes(new Views.ErrorBody(a, b));
  }

  // ---- request bodies ----

  /** What the mapper itself binds (bypassing the fast path). */
  private static Bodies.VerifyBody bind(byte[] body) throws Exception {
    return Json.MAPPER.readerFor(Bodies.VerifyBody.class).readValue(body);
  }

  @Provide
  Arbitrary<String> values() {
    Arbitrary<String> str =
        Arbitraries.strings()
            .all()
            .ofMaxLength(20)
            .map(
                s ->
                    "\""
                        + s.replace("\\", "\\\\")
                            .replace("\"", "\\\"")
                            .replaceAll("[\\x00-\\x1f]", "\\\\u0041")
                        + "\"");
    Arbitrary<String> arrays =
        Arbitraries.oneOf(str, Arbitraries.of("null", "1", "true", "{}"))
            .list()
            .ofMaxSize(3)
            .map(l -> "[" + String.join(",", l) + "]");
    return Arbitraries.oneOf(
        str,
        arrays,
        Arbitraries.longs().map(String::valueOf),
        Arbitraries.of(
            "null",
            "true",
            "false",
            "1.5",
            "1e3",
            "99999999999999999999",
            "-0",
            "{}",
            "{\"a\":1}",
            "[[]]",
            "\"\\u0073k_test\""));
  }

  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<String> name =
        Arbitraries.oneOf(
            Arbitraries.of(FIELDS),
            Arbitraries.of("Key", "scopes", "requiredScopes", "", "key "),
            Arbitraries.strings().alpha().ofMaxLength(6));
    Arbitrary<String> ws = Arbitraries.of("", "", "", " ", "\n\t", "\r\n ");
    Arbitrary<String> member =
        Combinators.combine(name, values(), ws, ws)
            .as((n, v, a, b) -> "\"" + n + "\"" + a + ":" + b + v);
    Arbitrary<String> object =
        Combinators.combine(member.list().ofMaxSize(6), Arbitraries.of(",", ", ", " ,\n"), ws)
            .as((l, sep, w) -> w + "{" + w + String.join(sep, l) + w + "}");
    Arbitrary<String> trailing = Arbitraries.of("", "", "", " ", "\n", " {}", "x", "]", ",");
    Arbitrary<String> root =
        Arbitraries.oneOf(
            object, object, object, Arbitraries.of("null", "[]", "\"x\"", "1", "{", "", "{]"));
    return Combinators.combine(root, trailing).as((o, t) -> o + t);
  }

  @Property
  void readBody_isTheMappersValueOrDeclines(@ForAll("bodies") String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    Bodies.VerifyBody fast = VerifyJson.readBody(bytes);
    Bodies.VerifyBody bound;
    try {
      bound = bind(bytes);
    } catch (Exception e) {
      bound = null;
    }
    if (fast != null) {
      assertThat(bound).as(body).isEqualTo(fast);
    } else if (bound != null) { // declined: Json.read binds it with the mapper
      assertThat(Json.read(bytes, Bodies.VerifyBody.class)).as(body).isEqualTo(bound);
    } else { // declined and unbindable: Json.read names the error
      assertThatThrownBy(() -> Json.read(bytes, Bodies.VerifyBody.class))
          .as(body)
          .isInstanceOf(KeygateException.InvalidRequest.class);
    }
  }

  @Provide
  Arbitrary<String> plainBodies() {
    Arbitrary<String> str =
        Arbitraries.strings().alpha().numeric().withChars('_', '/', '.', ' ').ofMaxLength(40);
    Arbitrary<String> quoted = str.map(s -> "\"" + s + "\"");
    Arbitrary<String> scopes =
        str.list().ofMaxSize(3).map(l -> "[\"" + String.join("\",\"", l) + "\"]");
    return Arbitraries.subsetOf(FIELDS)
        .flatMap(
            fields -> {
              List<Arbitrary<String>> parts = new ArrayList<>();
              for (String f : fields) {
                Arbitrary<String> v =
                    switch (f) {
                      case "cost" ->
                          Arbitraries.longs().between(1, Long.MAX_VALUE).map(String::valueOf);
                      case "required_scopes", "required_scopes_all" -> scopes;
                      default -> quoted;
                    };
                parts.add(
                    Arbitraries.oneOf(v, Arbitraries.just("null")).map(x -> "\"" + f + "\": " + x));
              }
              return Combinators.combine(parts).as(l -> "{" + String.join(", ", l) + "}");
            });
  }

  @Property
  void readBody_takesPlainBodiesOnTheFastPath(@ForAll("plainBodies") String body) throws Exception {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    Bodies.VerifyBody plain = VerifyJson.readBody(bytes);
    if (body.matches(".*\"cost\": \\d{19}.*")) {
      assertThat(plain).as(body).isNull(); // 19 digits may overflow: the mapper decides
    } else {
      assertThat(plain).as(body).isNotNull().isEqualTo(bind(bytes));
    }
  }

  @Example
  void readBody_leavesEveryRejectionToTheMapper() {
    for (String body :
        List.of(
            "{\"key\":\"a\",\"key\":\"b\"}",
            "{\"key\":1}",
            "{\"cost\":\"5\"}",
            "{\"cost\":1.0}",
            "{\"required_scopes\":[null]}",
            "{\"required_scopes\":\"read\"}",
            "{\"nope\":true}",
            "{} {}",
            "null")) {
      assertThat(VerifyJson.readBody(body.getBytes(StandardCharsets.UTF_8))).as(body).isNull();
    }
    Throwable e =
        catchThrowable(() -> Json.read("{\"nope\":1}".getBytes(), Bodies.VerifyBody.class));
    assertThat(e).hasMessage("unknown field 'nope'");
  }
}
