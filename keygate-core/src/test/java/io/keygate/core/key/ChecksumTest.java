package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Known-answer vectors computed outside this code base: GitHub's published, expired tokens use the
 * same CRC-32 → 6 base62 digits scheme over their 30-character body.
 */
class ChecksumTest {
  // 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 (published by GitHub, expired)
  private static final String GITHUB_BODY_1 = "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ";
  private static final String GITHUB_SUM_1 = "0mLq17";
  // 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 (published by GitHub, expired)
  private static final String GITHUB_BODY_2 = "adE7dp8rHP6gUTuPwxLTZjZdtya3sV";
  private static final String GITHUB_SUM_2 = "0UQzQM";
  // A 43-char body, computed with:
  // python3 -c 'import zlib;A="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  //   n=zlib.crc32(b"KeygateKnownAnswerBody0000000000000000000ab");
  //   print("".join(A[(n//62**i)%62] for i in range(5,-1,-1)))'   → 1Gvj98
  static final String KEYGATE_BODY = "KeygateKnownAnswerBody0000000000000000000ab";
  static final String KEYGATE_SUM = "1Gvj98";

  @Test
  void of_githubPublishedTokens_matchesTheirChecksums() {
    assertThat(Checksum.of(GITHUB_BODY_1)).isEqualTo(GITHUB_SUM_1);
    assertThat(Checksum.of(GITHUB_BODY_2)).isEqualTo(GITHUB_SUM_2);
  }

  @Test
  void of_independentlyComputedVector_matches() {
    assertThat(KEYGATE_BODY).hasSize(KeyFormat.BODY_LENGTH);
    assertThat(Checksum.of(KEYGATE_BODY)).isEqualTo(KEYGATE_SUM);
  }

  @Test
  void of_range_checksumsOnlyTheRange() {
    String s = "ghp_" + GITHUB_BODY_1 + GITHUB_SUM_1;
    assertThat(Checksum.of(s, 4, 4 + GITHUB_BODY_1.length())).isEqualTo(GITHUB_SUM_1);
  }

  @Test
  void of_bodyLongerThanInternalBuffer_isChecksummedWhole() {
    // 43 + 43 + 43 = 129 characters, more than the 64-byte internal buffer.
    String body = KEYGATE_BODY + KEYGATE_BODY + KEYGATE_BODY;
    CRC32 crc = new CRC32();
    crc.update(body.getBytes(StandardCharsets.US_ASCII));
    assertThat(Checksum.of(body)).isEqualTo(Base62.encodeFixed(crc.getValue(), 6));
  }

  @Test
  void matches_githubTokens_acceptsCorrectAndRejectsAltered() {
    String t1 = "ghp_" + GITHUB_BODY_1 + GITHUB_SUM_1;
    String t2 = "ghp_" + GITHUB_BODY_2 + GITHUB_SUM_2;
    assertThat(Checksum.matches(t1, 4, 4 + 30)).isTrue();
    assertThat(Checksum.matches(t2, 4, 4 + 30)).isTrue();
    assertThat(Checksum.matches("ghp_" + GITHUB_BODY_1 + GITHUB_SUM_2, 4, 34)).isFalse();
    assertThat(Checksum.matches("ghp_" + GITHUB_BODY_1 + "0mLq18", 4, 34)).isFalse();
  }

  @Test
  void matches_checksumCutShort_isFalse() {
    String truncated = GITHUB_BODY_1 + GITHUB_SUM_1.substring(0, 5);
    assertThat(Checksum.matches(truncated, 0, 30)).isFalse();
  }
}
