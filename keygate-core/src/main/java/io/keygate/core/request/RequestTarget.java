package io.keygate.core.request;

import io.keygate.core.KeygateException;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.KeyFormat;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The target of a protected request (its path and query, as a gateway, a service or the servlet
 * container reports it): where keys sent in the URL are found, and the one normalisation of the
 * path that endpoint rules see.
 *
 * <p><b>The path is normalised once</b> ({@link #path}): query and fragment are dropped, the path
 * is percent-decoded (UTF-8) and dot segments are resolved, or the request is refused (400 {@code
 * invalid_path}) when the path could mean something else to the server behind Keygate than it does
 * here. Decided here:
 *
 * <ul>
 *   <li>Refused: a path not starting with {@code /}; raw characters outside RFC 3986 {@code pchar}
 *       (space, control characters, backslash, non-ASCII, {@code " < > ^ ` { | } [ ]}); a malformed
 *       escape ({@code %} not followed by two hex digits); an escape sequence that is not valid
 *       UTF-8 (overlong forms such as {@code %C0%AE}, surrogates, truncated sequences); {@code ;}
 *       raw or encoded (servlet containers strip {@code ;parameters}, so {@code /..;/} climbs);
 *       escapes that decode to {@code /}, {@code \}, {@code %} (double encoding: {@code %252e}), a
 *       control character (NUL included), or to a whole segment {@code .} or {@code ..} ({@code
 *       %2e%2e}: servers disagree on whether it climbs); other segments of only dots and spaces
 *       ({@code ...}, {@code ..%20}: Windows servers trim them to {@code ..}); segments whose
 *       Unicode compatibility form (NFKC) is a dot segment or holds {@code /}, {@code \} or {@code
 *       %} (fullwidth {@code %EF%BC%8E%EF%BC%8E}); {@code ..} above the root.
 *   <li>Resolved: raw {@code .} and {@code ..} segments (RFC 3986 §5.2.4; every conforming server
 *       resolves them the same way); empty segments and a trailing slash are dropped, as before.
 *   <li>Canonical form: every segment decoded and re-encoded with upper-case escapes for anything
 *       but unreserved characters, sub-delimiters, {@code :} and {@code @}, so {@code /v1/%64ata}
 *       is {@code /v1/data} and the form is a fixed point ({@code path(path(t)) == path(t)}).
 * </ul>
 *
 * <p><b>Keys in the URL</b> ({@link #findKey}) are looked for in the whole target, before any
 * normalisation and whether or not the path is refused: path segments, query names and values, the
 * fragment, {@code Bearer%20…} and {@code api_key=…} forms, as sent and after each of up to {@value
 * #KEY_DECODING_ROUNDS} rounds of percent-decoding.
 *
 * <p>Stateless and thread-safe.
 */
public final class RequestTarget {
  /** Rounds of percent-decoding searched for keys: a key encoded up to three times is found. */
  private static final int KEY_DECODING_ROUNDS = 3;

  /** RFC 3986 pchar without '%' (handled as escapes) and ';' (refused). */
  private static final boolean[] SAFE = new boolean[128];

  static {
    String safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@";
    for (int i = 0; i < safe.length(); i++) {
      SAFE[safe.charAt(i)] = true;
    }
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private RequestTarget() {}

  /**
   * The first well-formed key (prefix, length and checksum right) anywhere in {@code target}, also
   * percent-encoded up to {@value #KEY_DECODING_ROUNDS} times; {@code null} when there is none or
   * the target is {@code null}.
   */
  public static ApiKeySecret findKey(String target, KeyFormat format) {
    String text = target;
    for (int round = 0; text != null && round <= KEY_DECODING_ROUNDS; round++) {
      ApiKeySecret key = format.findIn(text);
      if (key != null) {
        return key;
      }
      String decoded = decodeLeniently(text);
      text = decoded.equals(text) ? null : decoded;
    }
    return null;
  }

  /** Decodes every well-formed {@code %XX} to the byte's character (ISO-8859-1); keeps the rest. */
  private static String decodeLeniently(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      int v = c == '%' && i + 2 < s.length() ? hexByte(s.charAt(i + 1), s.charAt(i + 2)) : -1;
      if (v >= 0) {
        b.append((char) v);
        i += 2;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * The canonical path of a request target (see the class comment); {@code null} for {@code null}.
   *
   * @throws KeygateException.InvalidRequest {@code invalid_path}, saying what is wrong, when the
   *     path is refused; the message never repeats the path
   */
  public static String path(String target) {
    if (target == null) {
      return null;
    }
    int end = target.length();
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    if (end == 0 || target.charAt(0) != '/') {
      throw refused("it must start with '/'");
    }
    Deque<String> segments = new ArrayDeque<>();
    int i = 1;
    while (i <= end) {
      int j = target.indexOf('/', i);
      if (j < 0 || j > end) {
        j = end;
      }
      String raw = target.substring(i, j);
      if (raw.equals("..")) {
        if (segments.pollLast() == null) {
          throw refused("'..' climbs above the root");
        }
      } else if (!raw.isEmpty() && !raw.equals(".")) {
        segments.addLast(canonicalSegment(raw));
      }
      i = j + 1;
    }
    return "/" + String.join("/", segments);
  }

  private static String canonicalSegment(String raw) {
    boolean escaped = false;
    for (int k = 0; k < raw.length(); k++) {
      char c = raw.charAt(k);
      if (c == '%') {
        escaped = true;
      } else if (c >= 128 || !SAFE[c]) {
        throw refused(
            describe(c) + " is not allowed in a path" + (c == ';' ? " (path parameters)" : ""));
      }
    }
    if (!escaped) {
      refuseDotsAndSpaces(raw);
      return raw;
    }
    String decoded = decodeStrictly(raw);
    if (decoded.equals(".") || decoded.equals("..")) {
      throw refused("an encoded '.' or '..' segment is ambiguous");
    }
    refuseDotsAndSpaces(decoded);
    if (!isAscii(decoded)) {
      // Servers that fold compatibility characters (fullwidth '．', '／', '＼') would read these
      // as dot segments or separators.
      String folded = Normalizer.normalize(decoded, Normalizer.Form.NFKC);
      if (folded.equals(".")
          || folded.equals("..")
          || folded.indexOf('/') >= 0
          || folded.indexOf('\\') >= 0
          || folded.indexOf('%') >= 0) {
        throw refused("a segment whose compatibility form (NFKC) is a dot segment or holds / \\ %");
      }
      refuseDotsAndSpaces(folded);
    }
    StringBuilder b = new StringBuilder(raw.length());
    for (int k = 0; k < decoded.length(); ) {
      int c = decoded.codePointAt(k);
      k += Character.charCount(c);
      if (c == '/' || c == '\\' || c == '%' || c == ';' || Character.isISOControl(c)) {
        throw refused(
            "an escape decodes to "
                + describe((char) c)
                + (c == '%' ? " (double percent-encoding)" : "")
                + ", which is ambiguous");
      }
      if (c < 128 && SAFE[c]) {
        b.append((char) c);
      } else {
        for (byte x : new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8)) {
          b.append('%').append(HEX[(x >> 4) & 0xF]).append(HEX[x & 0xF]);
        }
      }
    }
    return b.toString();
  }

  /**
   * Refuses a segment of only dots and spaces other than {@code .} and {@code ..} ({@code ...},
   * {@code .. }): Windows servers trim trailing dots and spaces, which makes such a segment climb.
   */
  private static void refuseDotsAndSpaces(String seg) {
    for (int k = 0; k < seg.length(); k++) {
      char c = seg.charAt(k);
      if (c != '.' && c != ' ') {
        return;
      }
    }
    throw refused("a segment of only dots and spaces is ambiguous");
  }

  private static boolean isAscii(String s) {
    for (int k = 0; k < s.length(); k++) {
      if (s.charAt(k) >= 128) {
        return false;
      }
    }
    return true;
  }

  /** Percent-decodes a segment of safe characters and escapes as UTF-8, refusing bad input. */
  private static String decodeStrictly(String raw) {
    ByteBuffer bytes = ByteBuffer.allocate(raw.length());
    for (int k = 0; k < raw.length(); k++) {
      char c = raw.charAt(k);
      if (c != '%') {
        bytes.put((byte) c);
        continue;
      }
      int v = k + 2 < raw.length() ? hexByte(raw.charAt(k + 1), raw.charAt(k + 2)) : -1;
      if (v < 0) {
        throw refused("'%' must be followed by two hex digits");
      }
      bytes.put((byte) v);
      k += 2;
    }
    bytes.flip();
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(bytes);
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw refused("its escapes are not valid UTF-8");
    }
  }

  private static int hexByte(char a, char b) {
    int hi = Character.digit(a, 16);
    int lo = Character.digit(b, 16);
    return hi < 0 || lo < 0 || a > 'f' || b > 'f' ? -1 : (hi << 4) | lo;
  }

  private static String describe(char c) {
    if (c == '\\') {
      return "a backslash";
    }
    if (c == ' ') {
      return "a space";
    }
    if (Character.isISOControl(c)) {
      return String.format("the control character U+%04X", (int) c);
    }
    if (c >= 128) {
      return "a raw non-ASCII character (percent-encode it as UTF-8)";
    }
    return "'" + c + "'";
  }

  private static KeygateException.InvalidRequest refused(String why) {
    return new KeygateException.InvalidRequest(
        "invalid_path", "the request path is refused: " + why);
  }
}
