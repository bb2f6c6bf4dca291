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

  @Test
  void booleans_areTrueOrFalseInAnyCase_anythingElseIsRefused() {
    assertThat(Env.boolVar(Map.of("L", " FALSE "), "L", true)).isFalse();
    assertThat(Env.boolVar(Map.of("L", "true"), "L", false)).isTrue();
    assertThat(Env.boolVar(Map.of("L", " "), "L", true)).isTrue();
    for (String bad : new String[] {"yes", "0", "no", "flase"}) {
      assertThatThrownBy(
              () ->
                  Env.boolVar(Map.of("KEYGATE_CHANGE_LISTEN", bad), "KEYGATE_CHANGE_LISTEN", true))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("KEYGATE_CHANGE_LISTEN must be true or false, was '" + bad + "'");
    }
  }
}
