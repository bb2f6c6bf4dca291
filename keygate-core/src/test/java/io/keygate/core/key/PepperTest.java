package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class PepperTest {
  private static final byte[] SECRET =
      "pepper-secret-that-must-never-print!".getBytes(StandardCharsets.US_ASCII);

  @Test
  void toString_neverShowsTheSecret() {
    Pepper p = new Pepper(3, SECRET);
    assertThat(p.toString())
        .isEqualTo("Pepper[v3, ****]")
        .doesNotContain("pepper-secret")
        .doesNotContain(Arrays.toString(SECRET))
        .doesNotContain(HexFormat.of().formatHex(SECRET).substring(0, 8));
  }

  @Test
  void new_secretShorterThan32Bytes_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> new Pepper(1, new byte[31]));
    assertThatIllegalArgumentException().isThrownBy(() -> new Pepper(1, null));
    assertThat(new Pepper(1, new byte[32]).version()).isEqualTo(1);
  }

  @Test
  void new_versionBelowOne_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> new Pepper(0, SECRET));
  }

  @Test
  void secret_isDefensivelyCopiedBothWays() {
    byte[] mine = SECRET.clone();
    Pepper p = new Pepper(1, mine);
    mine[0] = 'X';
    p.secret()[1] = 'Y';
    assertThat(p.secret()).isEqualTo(SECRET);
  }

  @Test
  void equals_comparesVersionAndSecret() {
    assertThat(new Pepper(1, SECRET)).isEqualTo(new Pepper(1, SECRET.clone()));
    assertThat(new Pepper(1, SECRET)).isNotEqualTo(new Pepper(2, SECRET));
    assertThat(new Pepper(1, SECRET)).isNotEqualTo(new Pepper(1, new byte[40]));
  }
}
