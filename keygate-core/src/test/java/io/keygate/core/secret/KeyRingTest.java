package io.keygate.core.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeyRingTest {
  private record Key(int version) implements Versioned {}

  @Test
  void highestVersion_isCurrent() {
    KeyRing<Key> ring = new KeyRing<>("test key", "newest", List.of(new Key(3), new Key(1)));
    assertThat(ring.currentVersion()).isEqualTo(3);
    assertThat(ring.current()).isEqualTo(new Key(3));
    assertThat(ring.versions()).containsExactly(1, 3);
    assertThat(ring.get(1)).isEqualTo(new Key(1));
    assertThat(ring.get(2)).isNull();
  }

  @Test
  void noVersion_orVersionTwice_isRefused() {
    assertThatThrownBy(() -> new KeyRing<Key>("test key", "newest", List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("at least one test key version is required");
    assertThatThrownBy(() -> new KeyRing<>("test key", "newest", List.of(new Key(2), new Key(2))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("test key v2 given twice");
  }

  @Test
  void reload_addingVersion_reportsChange_andLoweringCurrent_changesNothing() {
    KeyRing<Key> ring = new KeyRing<>("test key", "sealing", List.of(new Key(1), new Key(2)));
    assertThat(ring.reload(List.of(new Key(1), new Key(2)))).isFalse();
    assertThat(ring.reload(List.of(new Key(2), new Key(3)))).isTrue();
    assertThatThrownBy(() -> ring.reload(List.of(new Key(1), new Key(2))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("refusing test key reload: sealing version would go from v3 back to v2");
    assertThatThrownBy(() -> ring.reload(List.of(new Key(4), new Key(4))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(ring.versions()).containsExactly(2, 3);
  }
}
