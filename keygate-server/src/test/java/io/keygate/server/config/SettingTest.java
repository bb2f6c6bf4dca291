package io.keygate.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingTest {
  @Test
  void modifiers_changeOnlyTheirComponent_andChecksAccumulate() {
    Setting<Integer> base = Setting.integer("KEYGATE_X", 5, "an x");
    Setting<Integer> s =
        base.flag("--x")
            .documentedDefault("`5` (five)")
            .check(v -> v >= 1, ">= 1")
            .check(v -> v <= 10, "<= 10")
            .asSecret();

    assertThat(s.variable()).isEqualTo("KEYGATE_X");
    assertThat(s.flag()).isEqualTo("--x");
    assertThat(s.defaultValue()).isEqualTo(5);
    assertThat(s.unsetDoc()).isEqualTo("`5` (five)");
    assertThat(s.description()).isEqualTo("an x");
    assertThat(s.secret()).isTrue();
    assertThat(s.blankIsValue()).isFalse();
    assertThat(s.requirement()).isEqualTo(">= 1 and <= 10");
    assertThat(s.from(Map.of("KEYGATE_X", "7"))).isEqualTo(7);
    assertThatThrownBy(() -> s.from(Map.of("KEYGATE_X", "0")))
        .hasMessage("KEYGATE_X must be >= 1 and <= 10, was '****'");
    assertThatThrownBy(() -> s.from(Map.of("KEYGATE_X", "11")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(base.secret()).isFalse();
    assertThat(base.flag()).isNull();
  }

  @Test
  void blankMeansEmpty_parsesABlankValue() {
    Setting<List<String>> plain = Setting.list("KEYGATE_L", List.of("a"), "l");
    assertThat(plain.from(Map.of("KEYGATE_L", " "))).containsExactly("a");
    assertThat(plain.blankMeansEmpty().from(Map.of("KEYGATE_L", " "))).isEmpty();
  }
}
