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
  void unscannablePrefix_rejected() {
    assertThatThrownBy(() -> Scanner.builder().importedPrefixes(List.of("Acme-")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Scanner.scannablePrefix("")).isFalse();
  }
}
