package io.keygate.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Keys imported from another system: a prefix and a URL-safe body, no checksum. */
class ImportedPrefixTest {
  /** The practice guide's format: {@code sk_live_} + {@code token_urlsafe(32)}. */
  static String guideKey() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return "sk_live_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static List<String> found(Scanner s, String text) {
    return s.scan("t", text.getBytes(StandardCharsets.UTF_8)).stream()
        .map(f -> f.secret().reveal())
        .toList();
  }

  @Test
  void guideFormatKey_foundOnlyWhenItsPrefixIsImported() {
    String key = "sk_live_Ab-9_x" + guideKey().substring(14); // '-' and '_' in the body
    String text = "API_KEY = \"" + key + "\"\nother = sk_live_short\n";
    assertThat(found(Scanner.builder().build(), text)).isEmpty();

    Scanner s = Scanner.builder().importedPrefixes(List.of("sk_live_")).build();
    List<Finding> findings = s.scan("t", text.getBytes(StandardCharsets.UTF_8));
    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).secret().reveal()).isEqualTo(key);
    assertThat(findings.get(0).keyType().name()).isEqualTo("live_secret");
    assertThat(findings.get(0).line()).isEqualTo(1);
    assertThat(findings.get(0).redacted()).doesNotContain(key.substring(12, 30));
  }

  @Test
  void nativeKeysStillFound_andBoundariesRespected() {
    Scanner s = Scanner.builder().importedPrefixes(List.of("sk_live_", "acme_")).build();
    String nativeKey = Keys.real("live_secret");
    String acme = "acme_" + "Zz9-".repeat(8);
    assertThat(found(s, nativeKey + " " + acme)).containsExactly(nativeKey, acme);
    assertThat(found(s, "xacme_" + "Zz9-".repeat(8))).isEmpty(); // no word boundary
    assertThat(found(s, "acme_" + "Z".repeat(129))).isEmpty(); // too long
    assertThat(found(s, "acme_" + "Z".repeat(15))).isEmpty(); // too short
    assertThat(s.importedPrefixes()).containsExactly("acme_", "sk_live_");
  }

  @Test
  void prefixTheImportRefuses_rejected() {
    for (String bad : List.of("", "a b", "acme/", "ac*me", "x".repeat(65))) {
      assertThat(Scanner.scannablePrefix(bad)).as(bad).isFalse();
      assertThatThrownBy(() -> Scanner.builder().importedPrefixes(List.of(bad)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  /**
   * Any prefix the import accepts is found, not only Keygate-style ones: upper case, '-', '.', no
   * trailing separator, longer than 32 characters. Regex metacharacters in it are literals.
   */
  @Test
  void anyImportablePrefix_foundAsALiteral_withWordBoundaries() {
    String body = "Ab-9_x" + guideKey().substring(14);
    String longPrefix = "Legacy.Service-" + "x".repeat(40) + "-";
    List<String> prefixes = List.of("Acme-", "key.v2.", "tok", longPrefix, "sk_live_");
    Scanner s = Scanner.builder().importedPrefixes(prefixes).build();
    assertThat(prefixes).allMatch(Scanner::scannablePrefix);
    assertThat(s.importedPrefixes())
        .containsExactlyInAnyOrder("Acme-", "key.v2.", "tok", longPrefix, "sk_live_");

    String nativeKey = Keys.real("live_secret");
    String text =
        "a: Acme-"
            + body
            + "\n"
            + "b = 'key.v2."
            + body
            + "'\n"
            + "c=tok"
            + body
            + ";"
            + longPrefix
            + body
            + " "
            + nativeKey
            + "\n";
    List<Finding> findings = s.scan("t", text.getBytes(StandardCharsets.UTF_8));
    assertThat(findings.stream().map(f -> f.secret().reveal()))
        .containsExactly(
            "Acme-" + body, "key.v2." + body, "tok" + body, longPrefix + body, nativeKey);
    assertThat(findings.get(0).keyType().name()).isEqualTo("imported");
    assertThat(findings.get(0).redacted()).startsWith("Acme-" + body.substring(0, 4) + "…");
    assertThat(findings.get(1).line()).isEqualTo(2);
    assertThat(findings.get(1).column()).isEqualTo(6);
    assertThat(findings.get(4).keyType().name()).isEqualTo("live_secret");

    // '.' is a literal, not "any character"; word boundaries and length limits hold
    assertThat(found(s, "keyXv2." + body)).isEmpty();
    assertThat(found(s, "xAcme-" + body)).isEmpty();
    assertThat(found(s, "-Acme-" + body)).isEmpty();
    assertThat(found(s, "Acme-" + "Z".repeat(15))).isEmpty();
    assertThat(found(s, "Acme-" + "Z".repeat(129))).isEmpty();
    assertThat(found(s, "acme-" + body)).isEmpty(); // case matters
    assertThat(found(Scanner.builder().build(), "Acme-" + body)).isEmpty();
  }

  /** A key across a chunk edge is found once, whichever chunk holds its prefix. */
  @Test
  void otherPrefix_acrossChunkEdges_foundExactlyOnce() throws Exception {
    String key = "Acme-" + guideKey().substring(8);
    Scanner s = Scanner.builder().importedPrefixes(List.of("Acme-")).build();
    for (int pad = StreamScan.CHUNK - StreamScan.LOOKAHEAD - 80;
        pad < StreamScan.CHUNK - StreamScan.LOOKAHEAD + 80;
        pad += 7) {
      // longer than a chunk, so the first chunk ends near the key
      byte[] text =
          (" ".repeat(pad) + key + "\n" + " ".repeat(2 * StreamScan.LOOKAHEAD))
              .getBytes(StandardCharsets.US_ASCII);
      assertThat(text.length).isGreaterThan(StreamScan.CHUNK);
      assertThat(found(s, new String(text, StandardCharsets.US_ASCII)))
          .as("pad %d", pad)
          .containsExactly(key);
    }
  }
}
