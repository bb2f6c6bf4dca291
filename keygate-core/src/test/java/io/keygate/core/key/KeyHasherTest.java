package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.keygate.core.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class KeyHasherTest {
  private static final Pepper V1 =
      new Pepper(1, "keygate-test-pepper-0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
  private static final Pepper V2 =
      new Pepper(2, "keygate-test-pepper-v2-0123456789ab".getBytes(StandardCharsets.US_ASCII));
  private static final Pepper V5 = new Pepper(5, new byte[32]);

  // printf '%s' 'known-answer-input' | openssl dgst -sha256 -hmac
  // 'keygate-test-pepper-0123456789abcdef'
  // (same with python3 -c 'import
  // hmac,hashlib;print(hmac.new(b"keygate-test-pepper-0123456789abcdef",
  //   b"known-answer-input",hashlib.sha256).hexdigest())')
  private static final String HMAC_V1 =
      "3e61aca0216e2575ae5fc35a4a2580313bc12e0bd09862620a831f91f8a1bd5b";
  // python3 -c 'import hmac,hashlib;print(hmac.new(b"keygate-test-pepper-v2-0123456789ab",
  //   b"known-answer-input",hashlib.sha256).hexdigest())'
  private static final String HMAC_V2 =
      "6635e8f38925f83965f10d768ed1f947de1591b702d609e4cd230c1205e242b8";
  // printf '%s' 'known-answer-input' | sha256sum
  private static final String SHA256 =
      "e058edfe2824c8a4e257dffb8d461d6a51eae1a126e3b970af1d231b0e662f36";

  @Test
  void digest_isTheCurrentHash_asFourLongs() {
    KeyHasher h = new KeyHasher(List.of(V1));
    KeyHasher.Digest d = h.digest("known-answer-input");
    assertThat(d.hex()).isEqualTo(HMAC_V1);
    assertThat(d.a()).isEqualTo(Long.parseUnsignedLong(HMAC_V1.substring(0, 16), 16));
    assertThat(d.d()).isEqualTo(Long.parseUnsignedLong(HMAC_V1.substring(48), 16));
    assertThat(KeyHasher.Digest.ofHex(HMAC_V1)).isEqualTo(d).hasSameHashCodeAs(d);
    assertThat(new KeyHasher(List.of(V1, V2)).digest("known-answer-input").hex())
        .isEqualTo(HMAC_V2);
    assertThat(h.digest("known-answer-inpuT")).isNotEqualTo(d);
  }

  @Test
  void digestOfHex_anythingButSixtyFourHexDigits_isNull() {
    assertThat(KeyHasher.Digest.ofHex(null)).isNull();
    assertThat(KeyHasher.Digest.ofHex(HMAC_V1.substring(1))).isNull();
    assertThat(KeyHasher.Digest.ofHex(HMAC_V1 + "0")).isNull();
    assertThat(KeyHasher.Digest.ofHex("z" + HMAC_V1.substring(1))).isNull();
    assertThat(KeyHasher.Digest.ofHex("sha256:" + HMAC_V1.substring(7))).isNull();
  }

  @Test
  void hash_knownAnswer_matchesOpenssl() {
    KeyHasher h = new KeyHasher(List.of(V1));
    assertThat(h.hash(1, "known-answer-input")).isEqualTo(HMAC_V1);
    assertThat(h.hash("known-answer-input")).isEqualTo(HMAC_V1);
  }

  @Test
  void hash_eachVersion_usesItsOwnPepper() {
    KeyHasher h = new KeyHasher(List.of(V1, V2));
    assertThat(h.hash(1, "known-answer-input")).isEqualTo(HMAC_V1);
    assertThat(h.hash(2, "known-answer-input")).isEqualTo(HMAC_V2);
    assertThat(h.hash("known-answer-input")).isEqualTo(HMAC_V2);
  }

  @Test
  void versions_currentIsHighest_olderNewestFirst() {
    KeyHasher h = new KeyHasher(List.of(V2, V5, V1));
    assertThat(h.currentVersion()).isEqualTo(5);
    assertThat(h.olderVersions()).containsExactly(2, 1);
    assertThat(new KeyHasher(List.of(V1)).olderVersions()).isEmpty();
  }

  @Test
  void new_duplicateVersion_isRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new KeyHasher(List.of(V1, new Pepper(1, new byte[32]))));
  }

  @Test
  void new_noPepper_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> new KeyHasher(List.of()));
  }

  @Test
  void hash_unknownVersion_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> new KeyHasher(List.of(V1)).hash(2, "x"));
  }

  @Test
  void sha256Hex_knownAnswer_matchesSha256sum() {
    assertThat(KeyHasher.sha256Hex("known-answer-input")).isEqualTo(SHA256);
  }

  @Test
  void constantTimeEquals_comparesContent() {
    assertThat(KeyHasher.constantTimeEquals(HMAC_V1, new String(HMAC_V1))).isTrue();
    assertThat(KeyHasher.constantTimeEquals(HMAC_V1, HMAC_V2)).isFalse();
    assertThat(KeyHasher.constantTimeEquals("ab", "abc")).isFalse();
  }

  @Test
  void hash_concurrentThreads_allGetTheKnownAnswer() throws Exception {
    KeyHasher h = new KeyHasher(List.of(V1));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 2_000; i++) {
                    if (!h.hash("known-answer-input").equals(HMAC_V1)) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> f : results) {
        assertThat(f.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void settled_newCurrentVersion_onlyAfterTheDelaySinceTheReloadThatMadeItCurrent() {
    ManualClock clock = new ManualClock();
    Instant start = clock.instant();
    Duration delay = Duration.ofMinutes(10);
    KeyHasher h = new KeyHasher(List.of(V1), clock);
    assertThat(h.currentSince()).isEqualTo(start);
    assertThat(h.settled(delay)).isFalse();
    clock.advance(delay);
    assertThat(h.settled(delay)).isTrue();

    h.reload(List.of(V1, V2));
    assertThat(h.currentSince()).isEqualTo(start.plus(delay));
    assertThat(h.settled(delay)).isFalse();
    assertThat(h.settled("k", delay)).isEmpty();
    assertThat(h.settled("k", Duration.ZERO)).contains(new KeyHasher.Hashed(2, h.hash(2, "k")));

    clock.advance(delay.minusMillis(1));
    h.reload(List.of(V1, V2)); // same current version: keeps its time
    assertThat(h.settled("k", delay)).isEmpty();
    clock.advance(Duration.ofMillis(1));
    assertThat(h.settled("k", delay)).contains(new KeyHasher.Hashed(2, h.hash(2, "k")));
    h.reload(List.of(V2)); // v1 retired, v2 still current
    assertThat(h.currentSince()).isEqualTo(start.plus(delay));
  }
}
