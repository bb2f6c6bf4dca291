package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;

class Base62Test {

  @Test
  void alphabet_isDigitsThenUpperThenLower() {
    assertThat(Base62.ALPHABET)
        .isEqualTo("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        .hasSize(62);
  }

  @Test
  void encodeFixed_zero_isAllZeros() {
    assertThat(Base62.encodeFixed(0, 6)).isEqualTo("000000");
  }

  @Test
  void encodeFixed_maxUnsigned32_fitsSixDigits() {
    // python3 -c 'A="0-9A-Za-z alphabet";n=2**32-1;print("".join(A[(n//62**i)%62] for i in
    // range(5,-1,-1)))'
    assertThat(Base62.encodeFixed(0xFFFF_FFFFL, 6)).isEqualTo("4gfFC3");
  }

  @Test
  void encodeFixed_smallValues_areLeftPaddedMostSignificantFirst() {
    assertThat(Base62.encodeFixed(61, 6)).isEqualTo("00000z");
    assertThat(Base62.encodeFixed(62, 6)).isEqualTo("000010");
    assertThat(Base62.encodeFixed(62L * 62 * 62 * 62 * 62 * 62 - 1, 6)).isEqualTo("zzzzzz");
  }

  @Test
  void encodeFixed_valueTooLargeForWidth_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> Base62.encodeFixed(62, 1));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Base62.encodeFixed(62L * 62 * 62 * 62 * 62 * 62, 6));
  }

  @Test
  void isDigit_acceptsExactlyTheAlphabet() {
    for (char c = 0; c < 0x3000; c++) {
      assertThat(Base62.isDigit(c))
          .as("char %d", (int) c)
          .isEqualTo(Base62.ALPHABET.indexOf(c) >= 0);
    }
    assertThat(Base62.isDigit('\uFF10')).isFalse(); // fullwidth zero
  }
}
