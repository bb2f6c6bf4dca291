package io.keygate.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.server.config.EnforcementConfig;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.RawHttp;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * HTTP properties for the anonymous {@code POST /v1/leaks/public}: whatever the body and its {@code
 * Content-Type}, the answer is {@code 202} or a precise 4xx JSON error ({@link
 * HttpFuzzTest#checkAnswer}), never a 500 or a stack trace. {@link HttpFuzzTest} reaches this route
 * too, but under the default per-address budget most of its tries are answered 429 before the body
 * is read; this server allows the most the setting permits so that every try reaches the parser.
 */
class PublicLeakFuzzTest {
  // jqwik runs no JUnit extension: its container hooks drive the extension's start/close API
  private static final KeygateServerExtension servers = new KeygateServerExtension();
  private static TestServer server;

  @BeforeContainer
  static void start() {
    server =
        servers.startInTempDir(
            c -> c,
            b ->
                b.clock(Clock.systemUTC())
                    .enforcement(new EnforcementConfig(Map.of(), null))
                    .leaks(
                        LeakConfig.fromEnv(
                            Map.of("KEYGATE_PUBLIC_LEAK_REPORTS_PER_MINUTE", "10000"))));
  }

  @AfterContainer
  static void stop() {
    servers.close();
  }

  @Provide
  Arbitrary<String> contentTypes() {
    return Arbitraries.of(
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json, text/plain",
        "application/jsonx",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/*+json",
        "",
        "application/json; charset=latin1");
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<String> text = Arbitraries.strings().all().ofMaxLength(600);
    Arbitrary<String> quoted =
        text.map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    Arbitrary<String> value =
        Arbitraries.oneOf(
            quoted,
            Arbitraries.of(
                "null", "true", "1", "-1e999", "1e400", "[]", "{}", "\"\"", "\"\\u0000\"", "[[]]"),
            Arbitraries.integers().between(1, 3000).map(n -> "[".repeat(n) + "]".repeat(n)),
            quoted.list().ofMaxSize(40).map(l -> "[" + String.join(",", l) + "]"),
            Arbitraries.of("sk_live_aaaaaaaaaaaaaaaaaaaaaaaa", "kg_live_x", " ")
                .list()
                .ofMaxSize(1200)
                .map(l -> "[\"" + String.join("\",\"", l) + "\"]"));
    Arbitrary<String> field = Arbitraries.of("keys", "url", "KEYS", "key", "x", "keys\\u0000");
    Arbitrary<String> object =
        Combinators.combine(field, value, field, value, Arbitraries.integers().between(0, 2))
            .as(
                (f1, v1, f2, v2, n) ->
                    switch (n) {
                      case 0 -> "{\"" + f1 + "\":" + v1 + "}";
                      case 1 -> "{\"" + f1 + "\":" + v1 + ",\"" + f2 + "\":" + v2 + "}";
                      default -> "{\"keys\":" + v1 + ",\"keys\":" + v2 + "}";
                    });
    return Arbitraries.oneOf(
        object.map(s -> s.getBytes(StandardCharsets.UTF_8)),
        text.map(s -> s.getBytes(StandardCharsets.UTF_8)),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(800));
  }

  @Property
  void anyBody_isAcceptedOrAPreciseClientError(
      @ForAll("contentTypes") String type, @ForAll("bodies") byte[] body) throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    if (!type.isEmpty()) {
      h.put("Content-Type", type);
    }
    RawHttp.Answer a = RawHttp.send(server.server.port(), "POST", "/v1/leaks/public", h, body);
    String request =
        "POST /v1/leaks/public type="
            + type
            + " body="
            + new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
    HttpFuzzTest.checkAnswer(request, "POST", "/v1/leaks/public", a);
    assertThat(a.status()).as(request).isIn(List.of(202, 400, 413, 415));
  }
}
