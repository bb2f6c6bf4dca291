package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.KeygateException;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.leaks.Exposure;
import io.keygate.scan.Scanner;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property tests over the leak report parsers (Keygate scan JSON, gitleaks JSON, TruffleHog
 * NDJSON): whatever the bytes, {@link LeakReports#parse} either returns what it found or throws the
 * documented {@link KeygateException.InvalidRequest} with code {@code invalid_report} (or {@code
 * invalid_format} for an unknown format) — never any other exception. Tries: {@code
 * jqwik.tries.default}.
 */
class LeakReportsFuzzTest {
  private static final Scanner SCANNER =
      Scanner.builder().keyTypes(KeyTypes.defaults()).splitLines(false).build();
  private static final String KEY =
      new KeyFormat(KeyTypes.defaults(), SecureRandom::new)
          .generate(KeyTypes.defaults().byName("live_secret").orElseThrow())
          .reveal();

  @Provide
  Arbitrary<String> formats() {
    return Arbitraries.of("keygate", "gitleaks", "trufflehog", "sarif", "");
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<String> text =
        Arbitraries.strings().all().ofMaxLength(200).map(s -> s.replace("KEY", KEY));
    Arbitrary<String> value =
        Arbitraries.oneOf(
            text.map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""),
            Arbitraries.of("null", "true", "1", "-1e999", "[]", "{}", "\"" + KEY + "\""),
            Arbitraries.integers().map(String::valueOf));
    Arbitrary<String> field =
        Arbitraries.of(
            "Secret",
            "Match",
            "File",
            "StartLine",
            "Commit",
            "RuleID",
            "Raw",
            "RawV2",
            "SourceMetadata",
            "key",
            "file",
            "line",
            "findings",
            "Data",
            "Git",
            "x");
    Arbitrary<String> object =
        Combinators.combine(field, value, field, value)
            .as((f1, v1, f2, v2) -> "{\"" + f1 + "\":" + v1 + ",\"" + f2 + "\":" + v2 + "}");
    Arbitrary<String> structured =
        Arbitraries.oneOf(
            object.list().ofMaxSize(5).map(l -> "[" + String.join(",", l) + "]"),
            object.list().ofMaxSize(5).map(l -> "{\"findings\":[" + String.join(",", l) + "]}"),
            object.list().ofMaxSize(5).map(l -> String.join("\n", l)),
            Arbitraries.integers().between(1, 5000).map(n -> "[".repeat(n) + "]".repeat(n)),
            text);
    return Arbitraries.oneOf(
        structured.map(s -> s.getBytes(StandardCharsets.UTF_8)),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(500));
  }

  @Property
  void anyBody_parsesOrIsAnInvalidReport(
      @ForAll("formats") String format, @ForAll("bodies") byte[] body) {
    try {
      LeakReports.Parsed p =
          LeakReports.parse(LeakReports.format(format), body, SCANNER, Exposure.EXPOSED);
      assertThat(p.received()).isGreaterThanOrEqualTo(0);
      assertThat(p.keys()).isNotNull();
    } catch (KeygateException.InvalidRequest e) {
      assertThat(e.code()).isIn(List.of("invalid_report", "invalid_format"));
    }
  }
}
