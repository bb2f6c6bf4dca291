package io.keygate.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpcConfigTest {
  @Test
  void fromEnv_unsetOrBlank_isOff() {
    assertThat(GrpcConfig.fromEnv(Map.of()).enabled()).isFalse();
    assertThat(GrpcConfig.fromEnv(Map.of("KEYGATE_GRPC_PORT", " ")).enabled()).isFalse();
    assertThat(Settings.describe(Map.of())).containsEntry("KEYGATE_GRPC_PORT", "unset: off");
  }

  @Test
  void fromEnv_port_bindsTheHttpHostUnlessGrpcHostIsGiven() {
    GrpcConfig same = GrpcConfig.fromEnv(Map.of("KEYGATE_GRPC_PORT", "9191"));
    assertThat(same.enabled()).isTrue();
    assertThat(same.effectiveHost("10.0.0.11")).isEqualTo("10.0.0.11");
    assertThat(same.port()).isEqualTo(9191);
    GrpcConfig other =
        GrpcConfig.fromEnv(Map.of("KEYGATE_GRPC_PORT", "0", "KEYGATE_GRPC_HOST", "10.0.0.12"));
    assertThat(other.effectiveHost("127.0.0.1")).isEqualTo("10.0.0.12");
  }

  @Test
  void fromEnv_badPort_failsNamingTheVariable() {
    for (String bad : new String[] {"65536", "-2", "grpc"}) {
      assertThatThrownBy(() -> GrpcConfig.fromEnv(Map.of("KEYGATE_GRPC_PORT", bad)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("KEYGATE_GRPC_PORT");
    }
  }
}
