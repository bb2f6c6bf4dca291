package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class ApiKeySecretTest {

  @Test
  void toString_everyDefaultType_showsOnlyPrefixAndLength() {
    KeyFormat f = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);
    for (KeyType t : f.types().all()) {
      ApiKeySecret s = f.generate(t);
      assertThat(s.toString())
          .isEqualTo("ApiKeySecret[" + t.prefix() + "…, " + s.reveal().length() + " chars]");
    }
  }

  @Test
  void toString_withShortPrefix_revealsNoBodyCharacters() {
    // Regression: toString() printed the first 8 characters, which for a configured prefix
    // shorter than 8 (e.g. "k_") included 6 characters of the secret body.
    KeyType shortType = new KeyType("short", "k_", true, false);
    KeyFormat f = new KeyFormat(KeyTypes.of(List.of(shortType)), SecureRandom::new);
    for (int i = 0; i < 50; i++) {
      ApiKeySecret s = f.generate(shortType);
      // The exact rendering holds no body character; a 3-gram search over the constant
      // "ApiKeySecret" text would flake whenever a random body happens to contain "Key".
      assertThat(s.toString()).isEqualTo("ApiKeySecret[k_…, 51 chars]");
    }
  }

  @Test
  void toString_valueWithoutUnderscore_revealsNoCharacter() {
    ApiKeySecret s = new ApiKeySecret("abcdefghijklmnopqrstuvwxyz");
    assertThat(s.toString()).isEqualTo("ApiKeySecret[…, 26 chars]");
  }

  @Test
  void toString_underscoreNearTheEnd_revealsNoCharacter() {
    ApiKeySecret s = new ApiKeySecret("not_a_key_but_a_secret_phrase_with_underscores_");
    assertThat(s.toString()).isEqualTo("ApiKeySecret[…, 47 chars]");
  }

  @Test
  void equals_isIdentityNotValue() {
    ApiKeySecret a = new ApiKeySecret("sk_live_same");
    ApiKeySecret b = new ApiKeySecret("sk_live_same");
    assertThat(a).isNotEqualTo(b);
    assertThat(a.reveal()).isEqualTo(b.reveal());
  }
}
