package io.keygate.core.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionedSecretsTest {
  @Test
  void copyOfAtLeast_refusesLowVersion_shortOrNullSecret_andCopies() {
    assertThatThrownBy(() -> VersionedSecrets.copyOfAtLeast("pepper", 0, new byte[32], 32))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pepper version must be >= 1, was 0");
    assertThatThrownBy(() -> VersionedSecrets.copyOfAtLeast("pepper", 1, new byte[31], 32))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pepper v1 must be at least 32 bytes");
    assertThatThrownBy(() -> VersionedSecrets.copyOfAtLeast("pepper", 1, null, 32))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] given = new byte[32];
    byte[] copy = VersionedSecrets.copyOfAtLeast("pepper", 1, given, 32);
    given[0] = 1;
    assertThat(copy[0]).isZero();
  }

  @Test
  void sameSecret_needsSameVersionAndBytes() {
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    assertThat(VersionedSecrets.sameSecret(1, a, 1, b)).isTrue();
    assertThat(VersionedSecrets.sameSecret(1, a, 2, b)).isFalse();
    b[31] = 1;
    assertThat(VersionedSecrets.sameSecret(1, a, 1, b)).isFalse();
  }
}
