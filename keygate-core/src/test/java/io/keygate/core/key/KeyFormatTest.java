package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class KeyFormatTest {
  private static final KeyTypes TYPES = KeyTypes.defaults();
  private static final String NON_BASE62 = "_-+/= .\u0000\n\u00e9\u20ac\uff10\ud83d";

  private static KeyFormat seeded(long seed) {
    return new KeyFormat(TYPES, () -> sha1prng(seed));
  }

  /** A deterministic SecureRandom: SHA1PRNG seeded before first use. */
  static SecureRandom sha1prng(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** CRC-32 → 6 base62 digits, written here independently of {@link Checksum}. */
  private static String independentChecksum(String body) {
    CRC32 crc = new CRC32();
    for (int i = 0; i < body.length(); i++) {
      crc.update(body.charAt(i));
    }
    long v = crc.getValue();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      sb.insert(0, Base62.ALPHABET.charAt((int) (v % 62)));
      v /= 62;
    }
    return sb.toString();
  }

  @Test
  void generate_live_secret_hasPrefixBodyAndChecksum() {
    KeyFormat f = new KeyFormat(TYPES, SecureRandom::new);
    KeyType t = TYPES.byName("live_secret").orElseThrow();
    String key = f.generate(t).reveal();
    assertThat(key).hasSize(8 + 43 + 6).startsWith("sk_live_");
    String body = key.substring(8, 51);
    assertThat(body).matches("[0-9A-Za-z]{43}");
    assertThat(key.substring(51)).isEqualTo(independentChecksum(body));
    assertThat(f.identify(key)).isEqualTo(t);
  }

  @Test
  void identify_keyBuiltFromIndependentVector_isRecognised() {
    String key = "sk_test_" + ChecksumTest.KEYGATE_BODY + ChecksumTest.KEYGATE_SUM;
    assertThat(seeded(1).identify(key)).isEqualTo(TYPES.byName("test_secret").orElseThrow());
  }

  @Test
  void identify_githubTokenShape_isNotAKeygateKey() {
    assertThat(seeded(1).identify("ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ" + "0mLq17")).isNull();
  }

  @Test
  void identify_prefixSwap_yieldsTheOtherType_becauseTheChecksumCoversOnlyTheBody() {
    KeyFormat f = seeded(7);
    String key = f.generate(TYPES.byName("live_secret").orElseThrow()).reveal();
    assertThat(f.identify("pk" + key.substring(2)))
        .isEqualTo(TYPES.byName("live_public").orElseThrow());
  }

  @Test
  void identify_lengthAndSeparatorEdges_areRejected() {
    KeyFormat f = seeded(3);
    String key = f.generate(TYPES.byName("live_secret").orElseThrow()).reveal();
    assertThat(f.identify(key.substring(0, key.length() - 1))).isNull();
    assertThat(f.identify(key + "0")).isNull();
    assertThat(f.identify(key.substring(8))).isNull();
    assertThat(f.identify("_" + key.substring(8))).isNull();
    assertThat(f.identify(null)).isNull();
    assertThat(f.identify("")).isNull();
    assertThat(f.identify("x".repeat(KeyFormat.MAX_KEY_LENGTH + 1))).isNull();
  }

  @Test
  void generate_sameSeed_givesSameKey_otherSeed_differs() {
    KeyType t = TYPES.byName("live_secret").orElseThrow();
    String a = seeded(42).generate(t).reveal();
    String b = seeded(42).generate(t).reveal();
    String c = seeded(43).generate(t).reveal();
    assertThat(a).isEqualTo(b).isNotEqualTo(c);
  }

  @Test
  void randomBase62_fixedSeed_isUniformByChiSquare() {
    // Deterministic (seeded SHA1PRNG), so it cannot flake. 61 degrees of freedom: the 0.999
    // quantile is 100.9; a modulo-biased draw (v % 62 over 0..255) scores in the hundreds here.
    int n = 100_000;
    String s = KeyFormat.randomBase62(sha1prng(20260101L), n);
    long[] counts = new long[62];
    for (int i = 0; i < n; i++) {
      counts[Base62.ALPHABET.indexOf(s.charAt(i))]++;
    }
    double expected = n / 62.0;
    double chi2 = 0;
    for (long c : counts) {
      chi2 += (c - expected) * (c - expected) / expected;
    }
    assertThat(chi2).isLessThan(100.9);
    assertThat(Arrays.stream(counts).min().orElseThrow()).isGreaterThan(1450L);
    assertThat(Arrays.stream(counts).max().orElseThrow()).isLessThan(1780L);
  }

  @Test
  void randomBase62_modBiasedSource_wouldFailTheChiSquareBound() {
    // Shows the bound above has teeth: the same statistic over a naive v % 62 draw.
    SecureRandom r = sha1prng(20260101L);
    int n = 100_000;
    long[] counts = new long[62];
    byte[] buf = new byte[n];
    r.nextBytes(buf);
    for (byte b : buf) {
      counts[(b & 0xFF) % 62]++;
    }
    double expected = n / 62.0;
    double chi2 = 0;
    for (long c : counts) {
      chi2 += (c - expected) * (c - expected) / expected;
    }
    assertThat(chi2).isGreaterThan(100.9);
  }

  @Property
  void generateThenIdentify_roundTripsForEveryType(
      @ForAll("types") KeyType type, @ForAll long seed) {
    KeyFormat f = seeded(seed);
    String key = f.generate(type).reveal();
    assertThat(key).startsWith(type.prefix()).hasSize(type.prefix().length() + 49);
    assertThat(f.identify(key)).isEqualTo(type);
    assertThat(f.identify(new StringBuilder(key))).isEqualTo(type);
  }

  @Property(tries = 60)
  void identify_everySingleCharacterCorruption_isRejected(
      @ForAll("types") KeyType type, @ForAll long seed) {
    KeyFormat f = seeded(seed);
    String key = f.generate(type).reveal();
    String replacements = Base62.ALPHABET + NON_BASE62 + "abcdefghijklmnopqrstuvwxyz0123456789_";
    char[] chars = key.toCharArray();
    int prefixLen = type.prefix().length();
    for (int pos = 0; pos < chars.length; pos++) {
      char original = chars[pos];
      for (int r = 0; r < replacements.length(); r++) {
        char c = replacements.charAt(r);
        if (c == original) {
          continue;
        }
        chars[pos] = c;
        String corrupted = new String(chars);
        KeyType got = f.identify(corrupted);
        if (pos >= prefixLen) {
          // Body or checksum: CRC-32 detects every single-byte change, and 6 base62 digits
          // encode it injectively, so no single substitution can yield another valid key.
          assertThat(got).as("corruption at %d to %s", pos, (int) c).isNull();
        } else if (got != null) {
          // The checksum covers the body only: a prefix edit is accepted only when it spells
          // another configured prefix (e.g. sk_live_ -> pk_live_).
          assertThat(got.prefix()).isEqualTo(corrupted.substring(0, prefixLen));
          assertThat(got).isNotEqualTo(type);
        }
      }
      chars[pos] = original;
    }
  }

  @Property
  void identify_arbitraryStrings_neverThrows(@ForAll @StringLength(max = 200) String s) {
    KeyType got = seeded(1).identify(s);
    if (got != null) {
      assertThat(s).startsWith(got.prefix());
    }
  }

  @Property(tries = 200)
  void identify_veryLongStrings_neverThrowsAndRejects(
      @ForAll @StringLength(min = 1_000, max = 100_000) String s) {
    assertThat(seeded(1).identify(s)).isNull();
  }

  @Property
  void identify_prefixPlusArbitraryTail_neverThrows(
      @ForAll("types") KeyType type, @ForAll @StringLength(49) String tail) {
    KeyType got = seeded(1).identify(type.prefix() + tail);
    if (got != null) {
      assertThat(tail).matches("[0-9A-Za-z]{49}");
      assertThat(tail.substring(43)).isEqualTo(independentChecksum(tail.substring(0, 43)));
    }
  }

  @Property
  void identify_prefixPlusBase62Tail_acceptsExactlyWhenChecksumMatches(
      @ForAll("types") KeyType type, @ForAll("base62Body") String body, @ForAll boolean fix) {
    String sum = fix ? independentChecksum(body) : "000000";
    boolean valid = sum.equals(independentChecksum(body));
    assertThat(seeded(1).identify(type.prefix() + body + sum) != null).isEqualTo(valid);
  }

  @Provide
  Arbitrary<KeyType> types() {
    return Arbitraries.of(TYPES.all());
  }

  @Provide
  Arbitrary<String> base62Body() {
    return Arbitraries.strings().withChars(Base62.ALPHABET.toCharArray()).ofLength(43);
  }

  @Test
  void hint_showsPrefixAndLastFour() {
    KeyFormat f = seeded(5);
    KeyType t = TYPES.byName("test_public").orElseThrow();
    String key = f.generate(t).reveal();
    assertThat(KeyFormat.hint(t, key)).isEqualTo("pk_test_…" + key.substring(key.length() - 4));
  }

  @Test
  void findIn_findsKeysGluedToAnyText_andNothingElse() {
    KeyFormat f = seeded(7);
    String live = f.generate(TYPES.byName("live_secret").orElseThrow()).reveal();
    String admin = f.generate(TYPES.byName("admin").orElseThrow()).reveal();
    for (String text : List.of(live, "x" + live, live + "Zz9", "a_b_" + live, "__" + live + "__")) {
      assertThat(f.findIn(text)).as(text).isNotNull();
      assertThat(f.findIn(text).reveal()).isEqualTo(live);
    }
    assertThat(f.findIn("?t=" + admin).reveal()).isEqualTo(admin);
    String flipped =
        live.substring(0, 20) + (live.charAt(20) == 'a' ? 'b' : 'a') + live.substring(21);
    assertThat(f.findIn(flipped)).isNull();
    assertThat(f.findIn(live.substring(1))).as("prefix cut").isNull();
    assertThat(f.findIn(live.substring(0, live.length() - 1))).as("tail cut").isNull();
    assertThat(f.findIn("sk_live_" + "_".repeat(100))).isNull();
    assertThat(f.findIn(null)).isNull();
  }
}
