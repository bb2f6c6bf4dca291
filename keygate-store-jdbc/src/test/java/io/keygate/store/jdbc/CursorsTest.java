package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CursorsTest {

  @Test
  void encode_thenDecode_returnsPosition() {
    String cursor = Cursors.encode(1_767_225_600_000L, "key_AbC123");

    assertThat(cursor).matches("[A-Za-z0-9_-]+");
    assertThat(Cursors.decode(cursor))
        .isEqualTo(new Cursors.Position(1_767_225_600_000L, "key_AbC123"));
  }

  @Test
  void decode_negativeTimeAndColonInId_roundTrips() {
    assertThat(Cursors.decode(Cursors.encode(-5, "a:b")))
        .isEqualTo(new Cursors.Position(-5, "a:b"));
  }

  @Test
  void decode_garbage_isInvalidCursor() {
    assertThatThrownBy(() -> Cursors.decode("%%%"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid cursor");
  }
}
