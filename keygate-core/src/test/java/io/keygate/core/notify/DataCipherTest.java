package io.keygate.core.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataCipherTest {
  private static DataKey key(int v) {
    byte[] b = new byte[32];
    Arrays.fill(b, (byte) v);
    return new DataKey(v, b);
  }

  private final DataCipher cipher = new DataCipher(List.of(key(1)), SecureRandom::new);

  @Test
  void seal_open_roundTrip_boundToContext() {
    String sealed = cipher.seal("{\"emails\":[]}", "owner-a");
    assertThat(sealed).startsWith("v1:");
    assertThat(DataCipher.versionOf(sealed)).isEqualTo(1);
    assertThat(cipher.open(sealed, "owner-a")).isEqualTo("{\"emails\":[]}");
    assertThatThrownBy(() -> cipher.open(sealed, "owner-b"))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void reload_newVersion_sealsUnderIt_olderStillOpens_untilRetired() {
    String old = cipher.seal("old", "ctx");
    assertThat(cipher.reload(List.of(key(1), key(2)))).isTrue();
    String fresh = cipher.seal("fresh", "ctx");
    assertThat(fresh).startsWith("v2:");
    assertThat(cipher.open(old, "ctx")).isEqualTo("old");
    assertThat(cipher.needsReseal(old)).isTrue();
    assertThat(cipher.needsReseal(fresh)).isFalse();

    cipher.reload(List.of(key(2)));
    assertThat(cipher.open(fresh, "ctx")).isEqualTo("fresh");
    assertThatThrownBy(() -> cipher.open(old, "ctx"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("version 1, which is not configured");
  }

  @Test
  void reload_lowerSealingVersion_isRefused_andVersionsStay() {
    cipher.reload(List.of(key(1), key(2)));
    assertThatThrownBy(() -> cipher.reload(List.of(key(1))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("from v2 back to v1");
    assertThat(cipher.versions()).containsExactly(1, 2);
    assertThat(cipher.seal("x", "ctx")).startsWith("v2:");
  }

  @Test
  void versionOf_notSealed_isMinusOne() {
    assertThat(DataCipher.versionOf("plain")).isEqualTo(-1);
    assertThat(DataCipher.versionOf("vx:abc")).isEqualTo(-1);
    assertThat(DataCipher.versionOf("v:abc")).isEqualTo(-1);
  }
}
