package io.keygate.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {
  @Test
  void changePoll_defaultsTo250ms_andIsShownInTheEffectiveSettings() {
    ClusterConfig c = ClusterConfig.defaults();
    assertThat(c.changePoll()).isEqualTo(Duration.ofMillis(250));
    assertThat(Settings.describe(Map.of())).containsEntry("KEYGATE_CHANGE_POLL_MS", "250");
    assertThat(ClusterConfig.fromEnv(Map.of("KEYGATE_CHANGE_POLL_MS", "100")).changePoll())
        .isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void changePoll_outside10To5000ms_isRefusedNamingTheVariable() {
    for (String bad : new String[] {"0", "9", "-250", "5001"}) {
      assertThatThrownBy(() -> ClusterConfig.fromEnv(Map.of("KEYGATE_CHANGE_POLL_MS", bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("KEYGATE_CHANGE_POLL_MS must be 10..5000");
    }
    assertThat(ClusterConfig.fromEnv(Map.of("KEYGATE_CHANGE_POLL_MS", "10")).changePoll())
        .isEqualTo(Duration.ofMillis(10));
    assertThat(ClusterConfig.fromEnv(Map.of("KEYGATE_CHANGE_POLL_MS", "5000")).changePoll())
        .isEqualTo(Duration.ofSeconds(5));
  }
}
