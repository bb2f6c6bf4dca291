package io.keygate.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvTest {
  @Test
  void unsetOrBlank_takesTheDefault_valuesAreTrimmed() {
    Map<String, String> env = Map.of("A", "  ", "B", " 42 ");
    assertThat(Env.longVar(env, "A", 7)).isEqualTo(7);
    assertThat(Env.longVar(env, "MISSING", 7)).isEqualTo(7);
    assertThat(Env.intVar(env, "B", 7)).isEqualTo(42);
    assertThat(Env.blankToNull(env.get("A"))).isNull();
    assertThat(Env.blankToNull(" x ")).isEqualTo("x");
  }

  @Test
  void badNumbers_nameTheVariableAndTheValue() {
    assertThatThrownBy(() -> Env.longVar(Map.of("KEYGATE_PORT", "80a"), "KEYGATE_PORT", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("KEYGATE_PORT must be an integer, was '80a'");
    assertThatThrownBy(() -> Env.intVar(Map.of("N", "99999999999"), "N", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("out of range");
  }
}
