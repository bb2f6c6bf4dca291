package io.keygate.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * JSON for the bodies of the verification routes, the hottest ones: the {@code POST /v1/verify}
 * request and answer, the {@code /v1/authz} answer and the error body (every refusal carries one).
 * The common, plain bodies are read and written as bytes directly instead of through data binding,
 * which costs microseconds a call (parser and generator set-up, creator buffering, {@code
 * DateTimeFormatter}); everything else is left to the mapper. {@link Json#read} and {@link
 * Json#write} hand these types here first, so routes need not know.
 *
 * <p><b>Contract.</b> Both directions are exact stand-ins for the mapper, proven by {@code
 * VerifyJsonTest} on generated inputs:
 *
 * <ul>
 *   <li>{@link #readBody} accepts only the plain shape (see {@link PlainReader}) and returns what
 *       the mapper binds; anything else, valid or not, returns {@code null}, and {@link Json#read}
 *       hands the bytes to the mapper, so error codes and messages stay the mapper's.
 *   <li>{@link #write} produces the bytes the mapper produces for the same value (field order,
 *       nulls, ISO-8601 instants; a non-empty {@code meta} map is written by the mapper itself), or
 *       {@code null} for a body with a string that needs escaping, which {@link Json#write} then
 *       hands to the mapper.
 * </ul>
 */
final class VerifyJson {
  private VerifyJson() {}

  /** The body as the mapper would bind it, or {@code null} to let the mapper decide. */
  static Bodies.VerifyBody readBody(byte[] raw) {
    return PlainReader.read(raw);
  }

  /**
   * The common request without a parser: an object of known fields, each at most once, whose
   * strings are printable ASCII other than {@code "} and {@code \\} (no escapes), whose {@code
   * cost} is a plain positive integer, with JSON whitespace between tokens. Returns {@code null}
   * for anything else, which the mapper then reads. Such input means the same to every JSON parser,
   * so the result is what the mapper binds (property-tested in {@code VerifyJsonTest}).
   */
  static final class PlainReader {
    private final byte[] in;
    private int at;

    private PlainReader(byte[] in) {
      this.in = in;
    }

    static Bodies.VerifyBody read(byte[] raw) {
      return new PlainReader(raw).body();
    }

    private Bodies.VerifyBody body() {
      String key = null, ip = null, method = null, path = null, userAgent = null;
      List<String> any = null, all = null;
      Long cost = null;
      int seen = 0; // one bit per field: a repeated one goes to the mapper, which decides
      if (!take('{')) {
        return null;
      }
      if (!take('}')) {
        do {
          String name = string();
          if (name == null || !take(':')) {
            return null;
          }
          int bit;
          switch (name) {
            case "key" -> {
              bit = 1;
              key = string();
            }
            case "ip" -> {
              bit = 2;
              ip = string();
            }
            case "method" -> {
              bit = 4;
              method = string();
            }
            case "path" -> {
              bit = 8;
              path = string();
            }
            case "user_agent" -> {
              bit = 16;
              userAgent = string();
            }
            case "required_scopes" -> {
              bit = 32;
              any = strings();
            }
            case "required_scopes_all" -> {
              bit = 64;
              all = strings();
            }
            case "cost" -> {
              bit = 128;
              cost = integer();
            }
            default -> {
              return null;
            }
          }
          if (at < 0 || (seen & bit) != 0) {
            return null; // a value not of the plain shape, or a repeated field
          }
          seen |= bit;
        } while (take(','));
        if (!take('}')) {
          return null;
        }
      }
      space();
      return at == in.length
          ? new Bodies.VerifyBody(key, any, all, ip, method, path, cost, userAgent)
          : null;
    }

    /** A plain string (or JSON {@code null}, as null); on anything else marks failure. */
    private String string() {
      if (literalNull()) {
        return null;
      }
      if (!take('"')) {
        at = -1;
        return null;
      }
      int from = at;
      while (at < in.length) {
        byte c = in[at];
        if (c == '"') {
          String s = new String(in, from, at - from, StandardCharsets.ISO_8859_1);
          at++;
          return s;
        }
        if (c < 0x20 || c > 0x7e || c == '\\') {
          break;
        }
        at++;
      }
      at = -1;
      return null;
    }

    private List<String> strings() {
      if (literalNull()) {
        return null;
      }
      if (!take('[')) {
        at = -1;
        return null;
      }
      List<String> out = new ArrayList<>(2);
      if (take(']')) {
        return out;
      }
      do {
        space();
        if (at < 0 || at >= in.length || in[at] != '"') {
          at = -1;
          return null;
        }
        out.add(string());
      } while (at >= 0 && take(','));
      if (at < 0 || !take(']')) {
        at = -1;
        return null;
      }
      return out;
    }

    /** 1 to 18 digits without a leading zero, or null; anything else (signs, 0) marks failure. */
    private Long integer() {
      if (literalNull()) {
        return null;
      }
      space();
      int from = at;
      while (at >= 0 && at < in.length && in[at] >= '0' && in[at] <= '9') {
        at++;
      }
      int digits = at - from;
      if (at < 0 || digits < 1 || digits > 18 || in[from] == '0') {
        at = -1;
        return null;
      }
      long v = 0;
      for (int i = from; i < at; i++) {
        v = v * 10 + (in[i] - '0');
      }
      return v;
    }

    private boolean literalNull() {
      space();
      if (at >= 0
          && at + 4 <= in.length
          && in[at] == 'n'
          && in[at + 1] == 'u'
          && in[at + 2] == 'l'
          && in[at + 3] == 'l') {
        at += 4;
        return true;
      }
      return false;
    }

    /** Skips whitespace, then consumes {@code c} if it is next. */
    private boolean take(char c) {
      space();
      if (at >= 0 && at < in.length && in[at] == c) {
        at++;
        return true;
      }
      return false;
    }

    private void space() {
      while (at >= 0 && at < in.length) {
        byte c = in[at];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        at++;
      }
    }
  }

  /**
   * The bytes of {@code value} when it is one of the bodies written here ({@link
   * Views.VerifyResult}, {@link Views.AuthzOk}, {@link Views.ErrorBody}) and every string in it is
   * plain, else {@code null} (the mapper writes it).
   */
  static byte[] write(Object value) {
    if (value instanceof Views.VerifyResult r) {
      return Plain.verifyResult(r);
    }
    if (value instanceof Views.AuthzOk r) {
      return Plain.authzOk(r);
    }
    if (value instanceof Views.ErrorBody r) {
      return Plain.errorBody(r);
    }
    return null;
  }

  /**
   * The answers as bytes, when every string is printable ASCII other than {@code "} and {@code \\}
   * (which every JSON writer, the mapper included, copies as it is). Each writer returns {@code
   * null} for anything else. A growable buffer, unsynchronized (unlike {@code
   * ByteArrayOutputStream}).
   */
  static final class Plain {
    private byte[] b;
    private int n;
    private boolean declined;

    private Plain(int size) {
      b = new byte[size];
    }

    static byte[] verifyResult(Views.VerifyResult r) {
      Plain o = new Plain(256);
      o.raw(r.valid() ? "{\"valid\":true,\"code\":" : "{\"valid\":false,\"code\":").str(r.code());
      o.raw(",\"message\":").str(r.message());
      o.raw(",\"key_id\":").str(r.keyId());
      o.raw(",\"owner_id\":").str(r.ownerId());
      o.raw(",\"type\":").str(r.type());
      o.raw(",\"scopes\":");
      if (r.scopes() == null) {
        o.raw("null");
      } else {
        o.raw("[");
        for (int i = 0; i < r.scopes().size(); i++) {
          o.raw(i == 0 ? "" : ",").str(r.scopes().get(i));
        }
        o.raw("]");
      }
      o.raw(",\"expires_at\":").instant(r.expiresAt());
      Map<String, Object> meta = r.meta();
      if (meta == null || meta.isEmpty()) {
        o.raw(meta == null ? ",\"meta\":null" : ",\"meta\":{}");
      } else {
        o.raw(",\"meta\":").meta(meta); // arbitrary JSON: the mapper's own serializers
      }
      if (r.rateLimits() != null) {
        o.raw(",\"rate_limits\":[");
        for (int i = 0; i < r.rateLimits().size(); i++) {
          Views.LimitView l = r.rateLimits().get(i);
          o.raw(i == 0 ? "{\"name\":" : ",{\"name\":").str(l.name());
          o.raw(",\"limit\":").num(l.limit()).raw(",\"remaining\":").num(l.remaining());
          o.raw(",\"reset\":").num(l.reset()).raw("}");
        }
        o.raw("]");
      }
      if (r.quota() != null) {
        o.raw(",\"quota\":{\"remaining\":").num(r.quota().remaining()).raw("}");
      }
      if (r.retryAfter() != null) {
        o.raw(",\"retry_after\":").num(r.retryAfter());
      }
      return o.raw("}").bytes();
    }

    static byte[] authzOk(Views.AuthzOk r) {
      Plain o = new Plain(128);
      o.raw(r.valid() ? "{\"valid\":true,\"code\":" : "{\"valid\":false,\"code\":").str(r.code());
      o.raw(",\"key_id\":").str(r.keyId()).raw(",\"owner_id\":").str(r.ownerId());
      return o.raw("}").bytes();
    }

    static byte[] errorBody(Views.ErrorBody r) {
      Plain o = new Plain(128);
      o.raw("{\"error\":").str(r.error()).raw(",\"message\":").str(r.message());
      return o.raw("}").bytes();
    }

    /** Appends ASCII text as it is. */
    private Plain raw(String ascii) {
      int len = ascii.length();
      room(len);
      for (int i = 0; i < len; i++) {
        b[n++] = (byte) ascii.charAt(i);
      }
      return this;
    }

    /** Appends a JSON string (or {@code null}); declines one that would need escaping. */
    private Plain str(String s) {
      if (s == null) {
        return raw("null");
      }
      int len = s.length();
      room(len + 2);
      b[n++] = '"';
      for (int i = 0; i < len; i++) {
        char c = s.charAt(i);
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
          declined = true;
          return this;
        }
        b[n++] = (byte) c;
      }
      b[n++] = '"';
      return this;
    }

    private void room(int more) {
      if (n + more > b.length) {
        b = Arrays.copyOf(b, Math.max(b.length * 2, n + more));
      }
    }

    private Plain meta(Map<String, Object> meta) {
      byte[] json;
      try {
        json = Json.MAPPER.writeValueAsBytes(meta);
      } catch (JsonProcessingException e) {
        declined = true; // the mapper reports it when it writes the whole body
        return this;
      }
      room(json.length);
      System.arraycopy(json, 0, b, n, json.length);
      n += json.length;
      return this;
    }

    private Plain num(long v) {
      return raw(Long.toString(v));
    }

    /**
     * Appends an instant as a JSON string in {@link Instant#toString()}'s form (or {@code null}),
     * its digits written in place; years outside 0000–9999 take {@code toString}.
     */
    private Plain instant(Instant t) {
      if (t == null) {
        return raw("null");
      }
      long s = t.getEpochSecond();
      if (s < -62_167_219_200L || s >= 253_402_300_800L) { // before 0000-01-01 or from 10000-01-01
        return str(t.toString());
      }
      int nano = t.getNano();
      LocalDateTime d = LocalDateTime.ofEpochSecond(s, nano, ZoneOffset.UTC);
      room(32);
      b[n++] = '"';
      digits(d.getYear(), 4).put('-').digits(d.getMonthValue(), 2).put('-');
      digits(d.getDayOfMonth(), 2).put('T').digits(d.getHour(), 2).put(':');
      digits(d.getMinute(), 2).put(':').digits(d.getSecond(), 2);
      if (nano != 0) {
        put('.');
        if (nano % 1_000_000 == 0) {
          digits(nano / 1_000_000, 3);
        } else if (nano % 1_000 == 0) {
          digits(nano / 1_000, 6);
        } else {
          digits(nano, 9);
        }
      }
      return put('Z').put('"');
    }

    /** Appends {@code v} (0 or more) in decimal, zero-padded to {@code width}; room is made. */
    private Plain digits(int v, int width) {
      for (int i = width - 1; i >= 0; i--) {
        b[n + i] = (byte) ('0' + v % 10);
        v /= 10;
      }
      n += width;
      return this;
    }

    private Plain put(char c) {
      b[n++] = (byte) c;
      return this;
    }

    private byte[] bytes() {
      return declined ? null : Arrays.copyOf(b, n);
    }
  }
}
