package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.KeygateException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link LeakRoutes#distinctKeys}: what a public leak report makes Keygate look up. */
class PublicLeakKeysTest {
  @Test
  void repeatedKeys_inAnySpacing_areLookedUpOnce_inTheOrderGiven() {
    List<Object> keys = new ArrayList<>(Collections.nCopies(997, "kg_live_aaaaaaaaaaaaaaaaaaaa"));
    keys.add(" kg_live_aaaaaaaaaaaaaaaaaaaa\n");
    keys.add("\tkg_live_bbbbbbbbbbbbbbbbbbbb ");
    keys.add("kg_live_bbbbbbbbbbbbbbbbbbbb");
    assertThat(LeakRoutes.distinctKeys(keys))
        .containsExactly("kg_live_aaaaaaaaaaaaaaaaaaaa", "kg_live_bbbbbbbbbbbbbbbbbbbb");
  }

  @Test
  void overlongValues_areLeftOut_andANonString_refusesTheReport() {
    assertThat(LeakRoutes.distinctKeys(List.of("x".repeat(513), "x".repeat(512))))
        .containsExactly("x".repeat(512));
    for (Object bad : List.of(1, List.of("k"), Map.of("k", "v"), true)) {
      List<Object> keys = new ArrayList<>(List.of("kg_live_aaaaaaaaaaaaaaaaaaaa"));
      keys.add(bad);
      assertThatThrownBy(() -> LeakRoutes.distinctKeys(keys))
          .isInstanceOf(KeygateException.InvalidRequest.class)
          .hasMessageContaining("array of strings");
    }
    List<Object> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> LeakRoutes.distinctKeys(withNull))
        .isInstanceOf(KeygateException.InvalidRequest.class);
  }
}
