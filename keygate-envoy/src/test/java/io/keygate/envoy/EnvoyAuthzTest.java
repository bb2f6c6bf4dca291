package io.keygate.envoy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The builder fails fast. Checks over a real gRPC channel against a real node are in keygate-server
 * ({@code EnvoyExtAuthzTest}, {@code ForwardAuthParityTest}), where the HTTP form runs beside them.
 */
class EnvoyAuthzTest {
  @Test
  void builder_badValues_areIllegalArguments() {
    assertThatThrownBy(() -> EnvoyAuthz.builder().port(65536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0..65535");
    assertThatThrownBy(() -> EnvoyAuthz.builder().port(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EnvoyAuthz.builder().host(" "))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builder_missingCore_isIllegalState() {
    assertThatThrownBy(() -> EnvoyAuthz.builder().port(0).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("keygate");
  }
}
