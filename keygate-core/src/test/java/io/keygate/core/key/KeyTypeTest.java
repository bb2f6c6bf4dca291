package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeyTypeTest {

  @ParameterizedTest
  @ValueSource(strings = {"sk_live_", "k_", "a1_b2_", "x9_", "abcdefghijklmnopqrstuvwxyz01234_"})
  void new_validPrefix_isAccepted(String prefix) {
    assertThat(new KeyType("custom", prefix, true, false).prefix()).isEqualTo(prefix);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "_",
        "sk",
        "sk_live",
        "SK_live_",
        "sk-live_",
        "sk__",
        "sk live_",
        "ск_",
        "sk_live_\n",
        "abcdefghijklmnopqrstuvwxyz012345_"
      })
  void new_invalidPrefix_isRejected(String prefix) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new KeyType("custom", prefix, true, false));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "Live", "1live", "live-secret", "a23456789012345678901234567890123456789012"})
  void new_invalidName_isRejected(String name) {
    assertThatIllegalArgumentException().isThrownBy(() -> new KeyType(name, "sk_", true, false));
  }

  @Test
  void new_nulls_areRejected() {
    assertThatNullPointerException().isThrownBy(() -> new KeyType(null, "sk_", true, false));
    assertThatNullPointerException().isThrownBy(() -> new KeyType("x", null, true, false));
  }
}
