package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.keygate.core.KeygateException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The wire format of the verification routes' bodies, now written and read by the one mapper
 * ({@link Json}) alone: field names and order, nulls, ISO-8601 instants, escapes, and the 400 codes
 * for request bodies a client gets wrong. Pins what clients and the Spring filter parse, so a
 * mapper setting cannot change it unnoticed.
 */
class VerifyWireFormatTest {
  private static String write(Object value) {
    return new String(Json.write(value), StandardCharsets.UTF_8);
  }

  private static Bodies.VerifyBody read(String body) {
    return Json.read(body.getBytes(StandardCharsets.UTF_8), Bodies.VerifyBody.class);
  }

  private static KeygateException.InvalidRequest refused(String body) {
    return catchThrowableOfType(KeygateException.InvalidRequest.class, () -> read(body));
  }

  @Test
  void verifyResult_fieldsInOrder_nullsKept_optionalBlocksOnlyWhenSet() {
    Views.VerifyResult valid =
        new Views.VerifyResult(
            true,
            "valid",
            null,
            "key_1",
            "acme",
            "live_secret",
            List.of("read", "write"),
            Instant.parse("2027-01-02T03:04:05.120Z"),
            Map.of("plan", "pro"),
            List.of(new Views.LimitView("minute", 60, 59, 12)),
            new Views.QuotaRemaining(9),
            null);
    assertThat(write(valid))
        .isEqualTo(
            "{\"valid\":true,\"code\":\"valid\",\"message\":null,\"key_id\":\"key_1\","
                + "\"owner_id\":\"acme\",\"type\":\"live_secret\",\"scopes\":[\"read\",\"write\"],"
                + "\"expires_at\":\"2027-01-02T03:04:05.120Z\",\"meta\":{\"plan\":\"pro\"},"
                + "\"rate_limits\":[{\"name\":\"minute\",\"limit\":60,\"remaining\":59,"
                + "\"reset\":12}],\"quota\":{\"remaining\":9}}");
    Views.VerifyResult refused =
        new Views.VerifyResult(
            false, "rate_limited", "slow down", null, null, null, null, null, null, null, null, 7L);
    assertThat(write(refused))
        .isEqualTo(
            "{\"valid\":false,\"code\":\"rate_limited\",\"message\":\"slow down\",\"key_id\":null,"
                + "\"owner_id\":null,\"type\":null,\"scopes\":null,\"expires_at\":null,"
                + "\"meta\":null,\"retry_after\":7}");
  }

  @Test
  void instants_areWrittenAsInstantToString() {
    for (Instant t :
        List.of(
            Instant.EPOCH,
            Instant.parse("2027-11-28T09:57:10.000460Z"),
            Instant.parse("9999-12-31T23:59:59.999999999Z"),
            Instant.parse("0000-01-01T00:00:00Z").minusNanos(1))) {
      Views.VerifyResult r =
          new Views.VerifyResult(
              true, "valid", null, "k", null, "t", List.of(), t, Map.of(), null, null, null);
      assertThat(write(r)).contains("\"expires_at\":\"" + t + "\"");
    }
  }

  @Test
  void authzAndErrorBodies_escapeWhatTheyMust() {
    assertThat(write(new Views.AuthzOk(true, "valid", "key_1", null)))
        .isEqualTo("{\"valid\":true,\"code\":\"valid\",\"key_id\":\"key_1\",\"owner_id\":null}");
    assertThat(write(new Views.ErrorBody("invalid_key", "a \"b\"\\\n\u0001é😀")))
        .isEqualTo(
            "{\"error\":\"invalid_key\",\"message\":\"a \\\"b\\\"\\\\\\n\\u0001é\\uD83D\\uDE00\"}");
  }

  @Test
  void verifyBody_readsEveryField_withAnyJsonWhitespaceAndEscapes() {
    assertThat(
            read(
                " {\"key\" :\"sk_test_\\u0061b\",\n\"required_scopes\":[\"read\"],"
                    + "\"required_scopes_all\":null,\"ip\":\"10.0.0.1\",\"method\":\"GET\","
                    + "\"path\":\"/v1/x\",\"cost\":5,\"user_agent\":\"ua\"}\r\n"))
        .isEqualTo(
            new Bodies.VerifyBody(
                "sk_test_ab", List.of("read"), null, "10.0.0.1", "GET", "/v1/x", 5L, "ua"));
    assertThat(read("{}"))
        .isEqualTo(new Bodies.VerifyBody(null, null, null, null, null, null, null, null));
  }

  @Test
  void verifyBody_badInput_isA400WithTheRightCode_neverEchoingTheInput() {
    Map<String, String> cases =
        Map.ofEntries(
            Map.entry("{\"key\":\"a\",\"key\":\"b\"}", "duplicate_field"),
            Map.entry("{\"nope\":1}", "unknown_field"),
            Map.entry("{\"key\":1}", "invalid_field"),
            Map.entry("{\"cost\":\"5\"}", "invalid_field"),
            Map.entry("{\"cost\":1.0}", "invalid_field"),
            Map.entry("{\"cost\":99999999999999999999}", "invalid_json"),
            Map.entry("{\"required_scopes\":\"read\"}", "invalid_field"),
            Map.entry("{} {}", "invalid_json"),
            Map.entry("null", "invalid_json"),
            Map.entry("[]", "invalid_field"),
            Map.entry("{\"key\":\"sk_test_secret\"", "invalid_json"),
            Map.entry("", "invalid_field"));
    cases.forEach(
        (body, code) -> {
          KeygateException.InvalidRequest e = refused(body);
          assertThat(e).as(body).isNotNull();
          assertThat(e.code()).as(body).isEqualTo(code);
          assertThat(e.getMessage()).as(body).doesNotContain("sk_test_secret");
        });
    assertThat(refused("{\"nope\":1}")).hasMessage("unknown field 'nope'");
  }

  // ---- the streamed request and answer are the mapper's (VerifyBodies) ----

  private static final String[] TEXTS = {
    "",
    "read",
    "sk_test_abc",
    "a\"b",
    "back\\slash",
    "tab\tline\n",
    "\u0001",
    "é",
    "😀",
    "\ud800",
    "x\udc00y",
    "/v1/data?x=1",
    "\u007f",
    "ключ"
  };

  private static String text(Random rnd) {
    return rnd.nextInt(5) == 0 ? null : TEXTS[rnd.nextInt(TEXTS.length)];
  }

  private static Object metaValue(Random rnd, int depth) {
    return switch (rnd.nextInt(depth > 1 ? 6 : 8)) {
      case 0 -> text(rnd);
      case 1 -> rnd.nextLong();
      case 2 -> rnd.nextInt();
      case 3 -> rnd.nextDouble();
      case 4 -> rnd.nextBoolean();
      case 5 -> null;
      case 6 -> List.of(String.valueOf(metaValue(rnd, depth + 1)));
      default -> {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(String.valueOf(text(rnd)), metaValue(rnd, depth + 1));
        yield m;
      }
    };
  }

  private static Views.VerifyResult randomResult(Random rnd) {
    List<String> scopes = null;
    if (rnd.nextBoolean()) {
      scopes = new ArrayList<>();
      for (int i = rnd.nextInt(3); i > 0; i--) {
        scopes.add(text(rnd));
      }
    }
    Map<String, Object> meta = null;
    if (rnd.nextBoolean()) {
      meta = new LinkedHashMap<>();
      for (int i = rnd.nextInt(3); i > 0; i--) {
        meta.put(String.valueOf(text(rnd)), metaValue(rnd, 0));
      }
    }
    List<Views.LimitView> limits =
        rnd.nextBoolean()
            ? null
            : List.of(
                new Views.LimitView(text(rnd), rnd.nextLong(), rnd.nextLong(), rnd.nextLong()));
    Instant expires =
        rnd.nextBoolean()
            ? null
            : Instant.ofEpochSecond(
                rnd.nextLong(-100_000_000_000L, 300_000_000_000L),
                List.of(0, 1, 1_000_000, 123_456_000, 999_999_999).get(rnd.nextInt(5)));
    return new Views.VerifyResult(
        rnd.nextBoolean(),
        text(rnd),
        text(rnd),
        text(rnd),
        text(rnd),
        text(rnd),
        scopes,
        expires,
        meta,
        limits,
        rnd.nextBoolean() ? null : new Views.QuotaRemaining(rnd.nextLong()),
        rnd.nextBoolean() ? null : rnd.nextLong());
  }

  @Test
  void streamedAnswer_isTheMappersBytes() throws Exception {
    Random rnd = new Random(18);
    for (int i = 0; i < 5_000; i++) {
      Views.VerifyResult r = randomResult(rnd);
      byte[] mapper = Json.MAPPER.writerFor(Views.VerifyResult.class).writeValueAsBytes(r);
      assertThat(new String(VerifyBodies.write(r), StandardCharsets.UTF_8))
          .as("%s", r)
          .isEqualTo(new String(mapper, StandardCharsets.UTF_8));
    }
  }

  private static final String[] VALUES = {
    "\"sk_test_a\"",
    "\"a\\\"b\"",
    "\"\\u0073k\"",
    "\"é😀\"",
    "null",
    "1",
    "0",
    "-3",
    "1.0",
    "1e3",
    "99999999999999999999",
    "true",
    "[]",
    "[\"read\"]",
    "[\"a\",\"b\"]",
    "[null]",
    "[1]",
    "{}",
    "\"\""
  };

  private static final String[] NAMES = {
    "key",
    "ip",
    "method",
    "path",
    "user_agent",
    "required_scopes",
    "required_scopes_all",
    "cost",
    "nope",
    "Key"
  };

  @Test
  void streamedRequest_isWhatTheMapperBinds_orLeftToIt() {
    Random rnd = new Random(19);
    int streamed = 0;
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder(rnd.nextInt(8) == 0 ? "[" : "{");
      for (int n = rnd.nextInt(5); n > 0; n--) {
        b.append('"').append(NAMES[rnd.nextInt(NAMES.length)]).append("\": ");
        b.append(VALUES[rnd.nextInt(VALUES.length)]).append(n > 1 ? ",\n" : "");
      }
      b.append(List.of("}", "}", "}", "} {}", "}x", "").get(rnd.nextInt(6)));
      byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
      Bodies.VerifyBody fast = VerifyBodies.read(body);
      Bodies.VerifyBody bound;
      try {
        bound = Json.MAPPER.readerFor(Bodies.VerifyBody.class).readValue(body);
      } catch (Exception e) {
        bound = null;
      }
      if (fast != null) {
        streamed++;
        assertThat(fast).as(b.toString()).isEqualTo(bound);
      }
    }
    assertThat(streamed).as("plain bodies take the streaming path").isGreaterThan(1_000);
  }
}
