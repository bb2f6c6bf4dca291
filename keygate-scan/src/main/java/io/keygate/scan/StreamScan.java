package io.keygate.scan;

import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.KeyHasher;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * Scans one stream in fixed-size chunks and turns {@link KeyMatcher.Hit}s into {@link Finding}s
 * with line and column.
 *
 * <p>Design note: each chunk hands the matcher the underscores in {@code [from, to)} while keeping
 * {@link #LOOKAHEAD} bytes after {@code to} (for the key tail and the split-key pass) and {@link
 * #LOOKBEHIND} bytes before {@code from} (for the prefix and its boundary), so every underscore is
 * examined exactly once and no key is lost at a chunk edge. Lines are counted only over bytes that
 * leave the buffer or precede a hit; columns are computed from the line start, carried over chunk
 * edges for very long lines.
 *
 * <p>Not thread-safe: one instance per scanning thread; the buffer is reused across streams.
 */
final class StreamScan {
  static final int CHUNK = 1 << 20;
  static final int LOOKAHEAD = KeyMatcher.SPLIT_WINDOW + KeyMatcher.TAIL + 64;
  static final int LOOKBEHIND = KeyMatcher.MAX_PREFIX + 8;
  static final int BINARY_SNIFF = 8192;

  private final KeyMatcher matcher;
  private final byte[] buf;

  StreamScan(KeyMatcher matcher) {
    this(matcher, CHUNK);
  }

  StreamScan(KeyMatcher matcher, int chunkSize) {
    if (chunkSize < 4 * (LOOKAHEAD + LOOKBEHIND)) {
      throw new IllegalArgumentException("chunk size too small: " + chunkSize);
    }
    this.matcher = matcher;
    this.buf = new byte[chunkSize];
  }

  /**
   * Scans {@code in} to its end.
   *
   * @param skipBinary whether to stop (and count a skipped binary) when the first 8 KiB hold a NUL
   *     byte
   * @return false if the stream was skipped as binary
   */
  boolean scan(
      InputStream in, String file, boolean skipBinary, ScanStats stats, Consumer<Finding> sink)
      throws IOException {
    Positions pos = new Positions();
    int filled = 0;
    int from = 0;
    boolean first = true;
    while (true) {
      boolean eof = false;
      while (filled < buf.length) {
        int n = in.read(buf, filled, buf.length - filled);
        if (n < 0) {
          eof = true;
          break;
        }
        filled += n;
      }
      if (first) {
        first = false;
        if (skipBinary && hasNul(buf, Math.min(filled, BINARY_SNIFF))) {
          stats.addSkippedBinary();
          return false;
        }
        stats.addFile();
      }
      int to = eof ? filled : filled - LOOKAHEAD;
      int limit = filled;
      stats.addBytes(to - from);
      matcher.scan(buf, from, to, limit, hit -> sink.accept(finding(hit, pos, file)));
      if (eof) {
        return true;
      }
      int shift = to - LOOKBEHIND;
      pos.rebase(buf, shift);
      System.arraycopy(buf, shift, buf, 0, filled - shift);
      filled -= shift;
      from = LOOKBEHIND;
    }
  }

  private Finding finding(KeyMatcher.Hit hit, Positions pos, String file) {
    long line = pos.lineAt(buf, hit.start());
    int column = pos.columnAt(buf, hit.start());
    long endLine = line;
    int endColumn = column + (hit.end() - hit.start());
    if (hit.split()) {
      endColumn = column;
      for (int i = hit.start(); i < hit.end(); i++) {
        int v = buf[i] & 0xFF;
        if (v == '\n') {
          endLine++;
          endColumn = 1;
        } else if (v != '\r' && (v & 0xC0) != 0x80) {
          endColumn += (v & 0xF8) == 0xF0 ? 2 : 1;
        }
      }
    }
    String key = hit.key();
    return new Finding(
        file,
        line,
        column,
        endLine,
        endColumn,
        hit.type(),
        Finding.redact(key, hit.prefixLength()),
        KeyHasher.sha256Hex(key),
        null,
        hit.split(),
        new ApiKeySecret(key));
  }

  private static boolean hasNul(byte[] b, int n) {
    for (int i = 0; i < n; i++) {
      if (b[i] == 0) {
        return true;
      }
    }
    return false;
  }

  /** UTF-16 code units encoded by UTF-8 bytes {@code [from, to)}. */
  static int utf16Units(byte[] b, int from, int to) {
    int units = 0;
    for (int i = from; i < to; i++) {
      int v = b[i] & 0xFF;
      if ((v & 0xC0) != 0x80) {
        units += (v & 0xF8) == 0xF0 ? 2 : 1;
      }
    }
    return units;
  }

  /** Line counting and column computation over a sliding buffer. Positions only move forward. */
  private static final class Positions {
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    private long line = 1;
    private int countedTo;
    private int lineStart;
    private boolean lineStartInBuffer = true;
    private int carriedUnits;

    long lineAt(byte[] b, int at) {
      advance(b, at);
      return line;
    }

    int columnAt(byte[] b, int at) {
      advance(b, at);
      return 1
          + (lineStartInBuffer
              ? utf16Units(b, lineStart, at)
              : carriedUnits + utf16Units(b, 0, at));
    }

    private void advance(byte[] b, int to) {
      int i = countedTo;
      for (; i + Long.BYTES <= to; i += Long.BYTES) {
        long m = KeyMatcher.zeroBytes((long) KeyMatcher.LONGS.get(b, i) ^ NEWLINES);
        if (m != 0) {
          line += Long.bitCount(m);
          lineStart = i + (63 - Long.numberOfLeadingZeros(m)) / 8 + 1;
          lineStartInBuffer = true;
        }
      }
      for (; i < to; i++) {
        if (b[i] == '\n') {
          line++;
          lineStart = i + 1;
          lineStartInBuffer = true;
        }
      }
      countedTo = Math.max(countedTo, to);
    }

    /** Drops the first {@code shift} bytes of the buffer. */
    void rebase(byte[] b, int shift) {
      advance(b, shift);
      if (lineStartInBuffer && lineStart >= shift) {
        lineStart -= shift;
      } else {
        carriedUnits =
            lineStartInBuffer
                ? utf16Units(b, lineStart, shift)
                : carriedUnits + utf16Units(b, 0, shift);
        lineStartInBuffer = false;
        lineStart = 0;
      }
      countedTo -= shift;
    }
  }
}
