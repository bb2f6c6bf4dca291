package io.keygate.scan;

import io.keygate.core.key.Base62;
import io.keygate.core.key.Checksum;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The byte-level key finder.
 *
 * <p>Design note: the hot loop looks only for {@code '_'} bytes, since every prefix ends in one and
 * a key body (base62) contains none. At each underscore it counts the base62 run that follows (most
 * underscores in text fail after a few bytes) and only when exactly {@value #TAIL} base62
 * characters follow does it compare the configured prefixes backwards from the underscore, check
 * both word boundaries and confirm the CRC-32 checksum. No regular expressions, no allocation
 * except for confirmed keys (and candidates of imported prefixes). When a shorter run ends at a
 * quote, a backslash or a line end right after a known prefix, the split-key pass {@link
 * #joinSplit} tries to reassemble fragments. Imported prefixes that do not end in {@code '_'} (or
 * otherwise break the {@link KeyType} rule) cannot be found from an underscore: only when some are
 * configured, one extra byte pass over the chunk finds them ({@link #others}).
 *
 * <p>Immutable and thread-safe; per-scan state lives in the caller.
 */
final class KeyMatcher {
  /** Base62 characters after the prefix: 43 body + 6 checksum. */
  static final int TAIL = KeyFormat.TAIL_LENGTH;

  /** Longest configured prefix allowed by {@link KeyType}. */
  static final int MAX_PREFIX = 32;

  /** How far past a prefix the split-key pass may look, in bytes. */
  static final int SPLIT_WINDOW = 1024;

  /** Reads 8 bytes at any offset, little-endian: byte {@code i} is bits {@code 8i..8i+7}. */
  static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final long UNDERSCORES = 0x5F5F5F5F5F5F5F5FL;
  private static final boolean[] BASE62 = new boolean[256];
  private static final boolean[] WORD = new boolean[256];

  static {
    for (int i = 0; i < Base62.ALPHABET.length(); i++) {
      BASE62[Base62.ALPHABET.charAt(i)] = true;
      WORD[Base62.ALPHABET.charAt(i)] = true;
    }
    WORD['_'] = true;
  }

  /**
   * A key confirmed by checksum (or an imported-key candidate). Offsets are buffer indexes; {@code
   * end} is exclusive; {@code prefixLength} is the length of the key's prefix.
   */
  record Hit(int start, int end, KeyType type, String key, boolean split, int prefixLength) {
    /** A hit whose prefix is its type's. */
    Hit(int start, int end, KeyType type, String key, boolean split) {
      this(start, end, type, key, split, type.prefix().length());
    }
  }

  /**
   * The type reported for keys found by an imported prefix that a {@link KeyType} cannot hold
   * (upper case, {@code .} or {@code -}, longer than {@value #MAX_PREFIX}, or not ending in {@code
   * _}); its own prefix is not the key's ({@link Hit#prefixLength()} is).
   */
  static final KeyType OTHER_IMPORTED = new KeyType("imported", "imported_", true, false);

  /** Longest imported prefix (the rule of {@code POST /v1/keys/import}). */
  static final int MAX_IMPORTED_PREFIX = 64;

  /** Receives hits in increasing {@code start} order. */
  interface HitSink {
    void hit(Hit hit);
  }

  private final KeyType[] types;
  private final byte[][] prefixes;

  /** For each byte value, the indexes of prefixes whose character before the final '_' it is. */
  private final int[][] byPenultimate = new int[256][];

  private final boolean splitLines;

  /** Shortest body of an imported key (after its prefix). */
  static final int IMPORTED_MIN = 16;

  /** Longest body of an imported key (after its prefix). */
  static final int IMPORTED_MAX = 128;

  private static final boolean[] URLSAFE = new boolean[256];

  static {
    for (int i = 0; i < Base62.ALPHABET.length(); i++) {
      URLSAFE[Base62.ALPHABET.charAt(i)] = true;
    }
    URLSAFE['_'] = true;
    URLSAFE['-'] = true;
  }

  /** Types of the imported prefixes (a native type when it shares the prefix). */
  private final KeyType[] importedTypes;

  private final byte[][] importedPrefixes;

  /**
   * The imported prefixes the underscore loop cannot find, longest first, compared as literal
   * bytes; empty when there are none.
   */
  private final byte[][] otherPrefixes;

  /** For each byte value, whether some prefix of {@link #otherPrefixes} starts with it. */
  private final boolean[] otherFirst = new boolean[256];

  KeyMatcher(KeyTypes keyTypes, boolean splitLines) {
    this(keyTypes, splitLines, List.of(), List.of());
  }

  /**
   * A matcher that also finds keys imported from another system with one of {@code imported}'s
   * prefixes: {@code <prefix>} + {@value #IMPORTED_MIN}..{@value #IMPORTED_MAX} URL-safe base64
   * characters ({@code [A-Za-z0-9_-]}, e.g. Python's {@code token_urlsafe}) standing as a word.
   * They carry no checksum, so they are candidates that only a hash lookup on the server confirms.
   */
  KeyMatcher(KeyTypes keyTypes, boolean splitLines, List<KeyType> imported) {
    this(keyTypes, splitLines, imported, List.of());
  }

  /**
   * As {@link #KeyMatcher(KeyTypes, boolean, List)}, and also finds keys imported with one of
   * {@code otherPrefixes}: any prefix an import accepts ({@code [A-Za-z0-9_.-]{1,64}}) that a
   * {@link KeyType} cannot hold. The key (prefix and body) must stand as a word: the byte before
   * the prefix and the one after the body are not {@code [A-Za-z0-9_-]}. These prefixes are
   * compared as literal bytes in a second pass over the text, made only when some are given; keys
   * split across lines are not reassembled for them.
   */
  KeyMatcher(
      KeyTypes keyTypes, boolean splitLines, List<KeyType> imported, List<String> otherPrefixes) {
    List<KeyType> all = keyTypes.all();
    this.types = all.toArray(KeyType[]::new);
    this.prefixes = new byte[types.length][];
    List<List<Integer>> groups = new ArrayList<>();
    for (int i = 0; i < 256; i++) {
      groups.add(new ArrayList<>());
    }
    for (int i = 0; i < types.length; i++) {
      prefixes[i] = types[i].prefix().getBytes(StandardCharsets.US_ASCII);
      groups.get(prefixes[i][prefixes[i].length - 2] & 0xFF).add(i);
    }
    for (int i = 0; i < 256; i++) {
      byPenultimate[i] = groups.get(i).stream().mapToInt(Integer::intValue).toArray();
    }
    this.splitLines = splitLines;
    this.importedTypes = imported.toArray(KeyType[]::new);
    this.importedPrefixes = new byte[importedTypes.length][];
    for (int i = 0; i < importedTypes.length; i++) {
      importedPrefixes[i] = importedTypes[i].prefix().getBytes(StandardCharsets.US_ASCII);
    }
    List<String> sorted = new ArrayList<>(otherPrefixes);
    sorted.sort(Comparator.comparingInt(String::length).reversed().thenComparing(x -> x));
    this.otherPrefixes = new byte[sorted.size()][];
    for (int i = 0; i < sorted.size(); i++) {
      String p = sorted.get(i);
      if (p.isEmpty() || p.length() > MAX_IMPORTED_PREFIX) {
        throw new IllegalArgumentException("imported prefix must be 1.." + MAX_IMPORTED_PREFIX);
      }
      this.otherPrefixes[i] = p.getBytes(StandardCharsets.US_ASCII);
      otherFirst[this.otherPrefixes[i][0] & 0xFF] = true;
    }
  }

  static boolean isBase62(byte b) {
    return BASE62[b & 0xFF];
  }

  /**
   * Finds keys whose prefix-ending underscore lies in {@code [from, to)}. Bytes up to {@code limit}
   * are valid; when {@code atEnd}, {@code limit} is the end of the data (a word boundary),
   * otherwise at least {@code SPLIT_WINDOW + TAIL + 2} bytes lie between {@code to} and {@code
   * limit}. Bytes before {@code from} (down to index 0) must include the 33 bytes before any
   * prefix, or index 0 must be the start of the data.
   */
  void scan(byte[] buf, int from, int to, int limit, HitSink sink) {
    if (otherPrefixes.length == 0) {
      underscores(buf, from, to, limit, sink);
      return;
    }
    List<Hit> hits = new ArrayList<>();
    underscores(buf, from, to, limit, hits::add);
    others(buf, from, to, limit, hits::add);
    hits.sort(Comparator.comparingInt(Hit::start)); // stable: the underscore loop's hit first
    int end = 0;
    for (Hit h : hits) {
      if (h.start() >= end) {
        sink.hit(h);
        end = h.end();
      }
    }
  }

  /**
   * Keys with an imported prefix of {@link #otherPrefixes} that start in {@code [from, to)} (each
   * key belongs to the chunk holding its first byte; at most {@value #MAX_IMPORTED_PREFIX} +
   * {@value #IMPORTED_MAX} + 1 bytes, well within the look-ahead). A byte-by-byte pass: a position
   * is compared with the prefixes only when its byte starts one and the byte before it is not
   * URL-safe.
   */
  private void others(byte[] buf, int from, int to, int limit, HitSink sink) {
    int i = from;
    while (i < to) {
      if (!otherFirst[buf[i] & 0xFF] || (i > 0 && URLSAFE[buf[i - 1] & 0xFF])) {
        i++;
        continue;
      }
      int end = otherAt(buf, i, limit, sink);
      i = end > 0 ? end : i + 1;
    }
  }

  /**
   * Reports a key with one of {@link #otherPrefixes} (longest first) starting at {@code start}, if
   * any, and returns the index past it; 0 when there is none.
   */
  private int otherAt(byte[] buf, int start, int limit, HitSink sink) {
    for (byte[] prefix : otherPrefixes) {
      int t = start + prefix.length;
      if (t > limit) {
        continue;
      }
      boolean same = true;
      for (int k = 1; k < prefix.length; k++) {
        if (buf[start + k] != prefix[k]) {
          same = false;
          break;
        }
      }
      if (!same || buf[start] != prefix[0]) {
        continue;
      }
      int stop = Math.min(limit, t + IMPORTED_MAX + 1);
      int e = t;
      while (e < stop && URLSAFE[buf[e] & 0xFF]) {
        e++;
      }
      int body = e - t;
      if (body >= IMPORTED_MIN && body <= IMPORTED_MAX && (e >= limit || !URLSAFE[buf[e] & 0xFF])) {
        sink.hit(
            new Hit(start, e, OTHER_IMPORTED, ascii(buf, start, e - start), false, prefix.length));
        return e;
      }
    }
    return 0;
  }

  /** The underscore loop: keys whose prefix-ending underscore lies in {@code [from, to)}. */
  private void underscores(byte[] buf, int from, int to, int limit, HitSink sink) {
    int u = from;
    while (u < to) {
      if (u + Long.BYTES <= to) {
        long m = zeroBytes((long) LONGS.get(buf, u) ^ UNDERSCORES);
        if (m == 0) {
          u += Long.BYTES;
          continue;
        }
        u += Long.numberOfTrailingZeros(m) >>> 3;
      } else if (buf[u] != '_') {
        u++;
        continue;
      }
      u = atUnderscore(buf, u, limit, sink);
    }
  }

  /**
   * Handles the underscore at {@code u}: reports a key whose prefix ends there, if any, and returns
   * the next index worth examining (past the base62 run, which holds no underscore).
   */
  private int atUnderscore(byte[] buf, int u, int limit, HitSink sink) {
    int t = u + 1;
    int stop = Math.min(limit, t + TAIL + 1);
    int r = t;
    while (r < stop && BASE62[buf[r] & 0xFF]) {
      r++;
    }
    int run = r - t;
    if (run == TAIL && (r >= limit || buf[r] != '_')) {
      int p = prefixEndingAt(buf, u);
      if (p >= 0 && Checksum.matches(new AsciiView(buf, t, TAIL), 0, TAIL - Checksum.LENGTH)) {
        int start = u + 1 - prefixes[p].length;
        sink.hit(new Hit(start, r, types[p], ascii(buf, start, r - start), false));
        return r;
      }
    }
    if (importedTypes.length > 0) {
      int end = imported(buf, u, limit, sink);
      if (end > 0) {
        return end;
      }
    }
    if (run == TAIL) {
      return r;
    } else if (run < TAIL && splitLines && r < limit && mayContinue(buf[r])) {
      int p = prefixEndingAt(buf, u);
      if (p >= 0) {
        joinSplit(buf, u + 1 - prefixes[p].length, p, t, limit, sink);
      }
    }
    return r;
  }

  /** 0x80 in each byte of {@code v} that is zero, 0 elsewhere (exact, no false positives). */
  static long zeroBytes(long v) {
    long t = (v & 0x7F7F7F7F7F7F7F7FL) + 0x7F7F7F7F7F7F7F7FL;
    return ~(t | v | 0x7F7F7F7F7F7F7F7FL);
  }

  /**
   * Reports an imported-format key whose prefix ends at the underscore at {@code u}, if any, and
   * returns the index past it; 0 when there is none.
   */
  private int imported(byte[] buf, int u, int limit, HitSink sink) {
    for (int p = 0; p < importedPrefixes.length; p++) {
      byte[] prefix = importedPrefixes[p];
      int start = u + 1 - prefix.length;
      if (start < 0 || (start > 0 && (WORD[buf[start - 1] & 0xFF] || buf[start - 1] == '-'))) {
        continue;
      }
      boolean same = true;
      for (int i = prefix.length - 2; i >= 0; i--) {
        if (buf[start + i] != prefix[i]) {
          same = false;
          break;
        }
      }
      if (!same) {
        continue;
      }
      int stop = Math.min(limit, u + 1 + IMPORTED_MAX + 1);
      int e = u + 1;
      while (e < stop && URLSAFE[buf[e] & 0xFF]) {
        e++;
      }
      int body = e - u - 1;
      if (body >= IMPORTED_MIN && body <= IMPORTED_MAX && (e >= limit || !URLSAFE[buf[e] & 0xFF])) {
        sink.hit(new Hit(start, e, importedTypes[p], ascii(buf, start, e - start), false));
        return e;
      }
    }
    return 0;
  }

  /** The prefix ending at the underscore at {@code u}, with a word boundary before it, or -1. */
  private int prefixEndingAt(byte[] buf, int u) {
    if (u == 0) {
      return -1;
    }
    int[] candidates = byPenultimate[buf[u - 1] & 0xFF];
    for (int p : candidates) {
      byte[] prefix = prefixes[p];
      int start = u + 1 - prefix.length;
      if (start < 0 || (start > 0 && WORD[buf[start - 1] & 0xFF])) {
        continue;
      }
      boolean same = true;
      for (int i = prefix.length - 3; i >= 0; i--) {
        if (buf[start + i] != prefix[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        return p;
      }
    }
    return -1;
  }

  private static boolean mayContinue(byte b) {
    return b == '"' || b == '\'' || b == '`' || b == '\\' || b == '\n' || b == '\r';
  }

  private static boolean isQuote(byte b) {
    return b == '"' || b == '\'' || b == '`';
  }

  /**
   * The split-key pass: collects base62 fragments after the prefix across the continuation forms
   * documented in docs/scanner.md and reports the joined key if it has exactly {@value #TAIL}
   * characters, a word boundary after it and a correct checksum.
   */
  private void joinSplit(byte[] buf, int start, int p, int tailAt, int limit, HitSink sink) {
    int end = Math.min(limit, tailAt + SPLIT_WINDOW);
    char[] tail = new char[TAIL + 1];
    int n = 0;
    int c = tailAt;
    int lastEnd = tailAt;
    boolean joined = false;
    while (c < end && BASE62[buf[c] & 0xFF] && n <= TAIL) {
      tail[n++] = (char) buf[c++];
    }
    if (n > 0) {
      lastEnd = c;
    }
    while (n <= TAIL) {
      int next = continuation(buf, c, end);
      if (next < 0) {
        break;
      }
      joined = true;
      c = next;
      int before = n;
      while (c < end && BASE62[buf[c] & 0xFF] && n <= TAIL) {
        tail[n++] = (char) buf[c++];
      }
      if (n > before) {
        lastEnd = c;
      }
    }
    if (!joined || n != TAIL || c >= end && end < limit || c < limit && buf[c] == '_') {
      return;
    }
    String tailText = new String(tail, 0, TAIL);
    if (Checksum.matches(tailText, 0, TAIL - Checksum.LENGTH)) {
      sink.hit(new Hit(start, lastEnd, types[p], types[p].prefix() + tailText, true));
    }
  }

  /**
   * If a fragment ends at {@code c} and another starts after a supported continuation, the index of
   * the next fragment's first character; else -1.
   */
  private static int continuation(byte[] buf, int c, int end) {
    if (c >= end) {
      return -1;
    }
    byte b = buf[c];
    if (b == '\\') {
      int d = newline(buf, c + 1, end);
      return d < 0 ? -1 : blanks(buf, d, end);
    }
    if (b == '\n' || b == '\r') {
      int d = newline(buf, c, end);
      return d < end && d >= 0 && BASE62[buf[d] & 0xFF] ? d : -1;
    }
    if (!isQuote(b)) {
      return -1;
    }
    int d = blanks(buf, c + 1, end);
    int op = operator(buf, d, end);
    if (op > 0) {
      d = blanks(buf, d + op, end);
    }
    if (d < end && buf[d] == '\\') {
      int nl = newline(buf, d + 1, end);
      if (nl < 0) {
        return -1;
      }
      d = nl;
    } else {
      int nl = newline(buf, d, end);
      if (nl >= 0) {
        d = nl;
      }
    }
    d = blanks(buf, d, end);
    if (op == 0) {
      op = operator(buf, d, end);
      d = blanks(buf, d + op, end);
    }
    return d < end && isQuote(buf[d]) ? d + 1 : -1;
  }

  /** Index after a line break ({@code \n} or {@code \r\n}) at {@code i}, or -1. */
  private static int newline(byte[] buf, int i, int end) {
    if (i < end && buf[i] == '\n') {
      return i + 1;
    }
    if (i + 1 < end && buf[i] == '\r' && buf[i + 1] == '\n') {
      return i + 2;
    }
    return -1;
  }

  private static int blanks(byte[] buf, int i, int end) {
    while (i < end && (buf[i] == ' ' || buf[i] == '\t')) {
      i++;
    }
    return i;
  }

  /** Length of a concatenation operator at {@code i}: {@code + . .. & ||}, or 0. */
  private static int operator(byte[] buf, int i, int end) {
    if (i >= end) {
      return 0;
    }
    byte b = buf[i];
    if (b == '+' || b == '&') {
      return 1;
    }
    if (b == '.') {
      return i + 1 < end && buf[i + 1] == '.' ? 2 : 1;
    }
    if (b == '|' && i + 1 < end && buf[i + 1] == '|') {
      return 2;
    }
    return 0;
  }

  private static String ascii(byte[] buf, int from, int len) {
    return new String(buf, from, len, StandardCharsets.US_ASCII);
  }

  /** A {@link CharSequence} over ASCII bytes, for {@link Checksum#matches} without copying. */
  private record AsciiView(byte[] buf, int from, int length) implements CharSequence {
    @Override
    public char charAt(int index) {
      return (char) (buf[from + index] & 0xFF);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new AsciiView(buf, from + start, end - start);
    }

    @Override
    public String toString() {
      return ascii(buf, from, length);
    }
  }
}
