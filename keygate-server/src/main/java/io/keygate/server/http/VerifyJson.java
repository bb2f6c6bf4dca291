package io.keygate.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Streaming JSON for the bodies of the verification routes, the hottest ones: the {@code POST
 * /v1/verify} request and answer, the {@code /v1/authz} answer and the error body (every refusal
 * carries one). They are read and written token by token instead of through data binding, which
 * costs microseconds a call (creator buffering, serializer lookups, {@code DateTimeFormatter}).
 * {@link Json#read} and {@link Json#write} hand these types here first, so routes need not know.
 *
 * <p><b>Contract.</b> Both paths are exact stand-ins for the mapper, proven by {@code
 * VerifyJsonTest} on generated inputs:
 *
 * <ul>
 *   <li>{@link #readBody} accepts only the plain shape (an object of known fields with the expected
 *       token types, each field at most once, nothing after it) and returns what the mapper binds;
 *       anything else, valid or not, returns {@code null}, and {@link Json#read} hands the bytes to
 *       the mapper, so error codes and messages stay the mapper's.
 *   <li>{@link #write} produces the bytes the mapper produces for the same value (field order,
 *       nulls, escaping, ISO-8601 instants); a non-empty {@code meta} map is written by the mapper
 *       itself.
 * </ul>
 */
final class VerifyJson {
  private static final JsonFactory FACTORY = Json.MAPPER.getFactory();

  private VerifyJson() {}

  /** The body as the mapper would bind it, or {@code null} to let the mapper decide. */
  static Bodies.VerifyBody readBody(byte[] raw) {
    Bodies.VerifyBody plain = PlainReader.read(raw);
    return plain != null ? plain : readWithParser(raw);
  }

  private static Bodies.VerifyBody readWithParser(byte[] raw) {
    try (JsonParser p = FACTORY.createParser(raw)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Fields fields = new Fields();
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        int f = Fields.of(p.currentName());
        if (f < 0) {
          return null;
        }
        JsonToken v = p.nextToken();
        Object value =
            switch (Fields.KINDS[f]) {
              case STRING -> string(p, v);
              case STRINGS -> strings(p, v);
              case INTEGER -> integer(p, v);
            };
        if (!fields.put(f, value)) {
          return null;
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null;
      }
      return fields.body();
    } catch (NotPlain | IOException e) {
      return null;
    }
  }

  /** The kind of value a field of the verify body holds. */
  private enum Kind {
    STRING,
    STRINGS,
    INTEGER
  }

  /**
   * The verify body's fields as both readers collect them: each known name once (a repeated one
   * sends the body to the mapper, which decides what it means).
   */
  private static final class Fields {
    static final Kind[] KINDS = {
      Kind.STRING,
      Kind.STRING,
      Kind.STRING,
      Kind.STRING,
      Kind.STRING,
      Kind.STRINGS,
      Kind.STRINGS,
      Kind.INTEGER
    };
    private final Object[] values = new Object[KINDS.length];
    private int seen; // one bit per field

    /** The index of a known field name, or -1. */
    static int of(String name) {
      return switch (name) {
        case "key" -> 0;
        case "ip" -> 1;
        case "method" -> 2;
        case "path" -> 3;
        case "user_agent" -> 4;
        case "required_scopes" -> 5;
        case "required_scopes_all" -> 6;
        case "cost" -> 7;
        default -> -1;
      };
    }

    /** Records a field's value; false when the field was already given. */
    boolean put(int field, Object value) {
      if ((seen & (1 << field)) != 0) {
        return false;
      }
      seen |= 1 << field;
      values[field] = value;
      return true;
    }

    @SuppressWarnings("unchecked")
    Bodies.VerifyBody body() {
      return new Bodies.VerifyBody(
          (String) values[0],
          (List<String>) values[5],
          (List<String>) values[6],
          (String) values[1],
          (String) values[2],
          (String) values[3],
          (Long) values[7],
          (String) values[4]);
    }
  }

  /**
   * The common request without a parser: an object of known fields, each at most once, whose
   * strings are printable ASCII other than {@code "} and {@code \\} (no escapes), whose {@code
   * cost} is a plain positive integer, with JSON whitespace between tokens. Returns {@code null}
   * for anything else, which the Jackson path then reads. Such input means the same to every JSON
   * parser, so the result is what the mapper binds (property-tested in {@code VerifyJsonTest}).
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
      Fields fields = new Fields();
      if (!take('{')) {
        return null;
      }
      if (!take('}')) {
        do {
          String name = string();
          int f = name == null ? -1 : Fields.of(name);
          if (f < 0 || !take(':')) {
            return null;
          }
          Object value =
              switch (Fields.KINDS[f]) {
                case STRING -> string();
                case STRINGS -> strings();
                case INTEGER -> integer();
              };
          if (at < 0 || !fields.put(f, value)) {
            return null; // a value not of the plain shape, or a repeated field
          }
        } while (take(','));
        if (!take('}')) {
          return null;
        }
      }
      space();
      return at == in.length ? fields.body() : null;
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

  /** Thrown inside {@link #readBody} when a value is not of the plain shape. */
  private static final class NotPlain extends Exception {
    private static final NotPlain INSTANCE = new NotPlain();

    private NotPlain() {
      super(null, null, false, false);
    }
  }

  private static String string(JsonParser p, JsonToken v) throws IOException, NotPlain {
    if (v == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (v == JsonToken.VALUE_NULL) {
      return null;
    }
    throw NotPlain.INSTANCE;
  }

  private static List<String> strings(JsonParser p, JsonToken v) throws IOException, NotPlain {
    if (v == JsonToken.VALUE_NULL) {
      return null;
    }
    if (v != JsonToken.START_ARRAY) {
      throw NotPlain.INSTANCE;
    }
    List<String> out = new ArrayList<>(2);
    JsonToken e;
    while ((e = p.nextToken()) == JsonToken.VALUE_STRING) {
      out.add(p.getText());
    }
    if (e != JsonToken.END_ARRAY) {
      throw NotPlain.INSTANCE;
    }
    return out;
  }

  private static Long integer(JsonParser p, JsonToken v) throws IOException, NotPlain {
    if (v == JsonToken.VALUE_NULL) {
      return null;
    }
    if (v == JsonToken.VALUE_NUMBER_INT) {
      JsonParser.NumberType n = p.getNumberType();
      if (n == JsonParser.NumberType.INT || n == JsonParser.NumberType.LONG) {
        return p.getLongValue();
      }
    }
    throw NotPlain.INSTANCE;
  }

  /**
   * The bytes of {@code value} when it is one of the bodies written here ({@link
   * Views.VerifyResult}, {@link Views.AuthzOk}, {@link Views.ErrorBody}), else {@code null}.
   */
  static byte[] write(Object value) {
    if (value instanceof Views.VerifyResult r) {
      byte[] plain = Plain.verifyResult(r);
      return plain != null ? plain : write(256, g -> verifyResult(g, r));
    }
    if (value instanceof Views.AuthzOk r) {
      byte[] plain = Plain.authzOk(r);
      return plain != null ? plain : write(128, g -> authzOk(g, r));
    }
    if (value instanceof Views.ErrorBody r) {
      byte[] plain = Plain.errorBody(r);
      return plain != null ? plain : write(128, g -> errorBody(g, r));
    }
    return null;
  }

  /**
   * The common case without a generator: every string is printable ASCII other than {@code "} and
   * {@code \\} (which every JSON writer, the mapper included, copies as it is) and {@code meta} is
   * absent or empty. Each writer returns {@code null} for anything else, which the generator then
   * writes. Unsynchronized, unlike {@link ByteArrayOutputStream}.
   */
  static final class Plain {
    private byte[] b;
    private int n;
    private boolean declined;

    private Plain(int size) {
      b = new byte[size];
    }

    static byte[] verifyResult(Views.VerifyResult r) {
      Map<String, Object> meta = r.meta();
      if (meta != null && !meta.isEmpty()) {
        return null;
      }
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
      o.raw(",\"expires_at\":").str(r.expiresAt() == null ? null : isoInstant(r.expiresAt()));
      o.raw(meta == null ? ",\"meta\":null" : ",\"meta\":{}");
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

    private Plain num(long v) {
      return raw(Long.toString(v));
    }

    private byte[] bytes() {
      return declined ? null : Arrays.copyOf(b, n);
    }
  }

  /** Writes one body's tokens. */
  private interface Body {
    void writeTo(JsonGenerator g) throws IOException;
  }

  private static byte[] write(int sizeHint, Body body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(sizeHint);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      body.writeTo(g);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write a response body", e);
    }
    return out.toByteArray();
  }

  private static void verifyResult(JsonGenerator g, Views.VerifyResult r) throws IOException {
    g.writeStartObject();
    g.writeBooleanField("valid", r.valid());
    g.writeStringField("code", r.code());
    g.writeStringField("message", r.message());
    g.writeStringField("key_id", r.keyId());
    g.writeStringField("owner_id", r.ownerId());
    g.writeStringField("type", r.type());
    g.writeFieldName("scopes");
    if (r.scopes() == null) {
      g.writeNull();
    } else {
      g.writeStartArray();
      for (String s : r.scopes()) {
        g.writeString(s);
      }
      g.writeEndArray();
    }
    Instant expires = r.expiresAt();
    g.writeStringField("expires_at", expires == null ? null : isoInstant(expires));
    Map<String, Object> meta = r.meta();
    g.writeFieldName("meta");
    if (meta == null) {
      g.writeNull();
    } else if (meta.isEmpty()) {
      g.writeStartObject();
      g.writeEndObject();
    } else {
      g.writeObject(meta); // arbitrary JSON: the mapper's own serializers
    }
    if (r.rateLimits() != null) {
      g.writeArrayFieldStart("rate_limits");
      for (Views.LimitView l : r.rateLimits()) {
        g.writeStartObject();
        g.writeStringField("name", l.name());
        g.writeNumberField("limit", l.limit());
        g.writeNumberField("remaining", l.remaining());
        g.writeNumberField("reset", l.reset());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    if (r.quota() != null) {
      g.writeObjectFieldStart("quota");
      g.writeNumberField("remaining", r.quota().remaining());
      g.writeEndObject();
    }
    if (r.retryAfter() != null) {
      g.writeNumberField("retry_after", r.retryAfter());
    }
    g.writeEndObject();
  }

  private static void authzOk(JsonGenerator g, Views.AuthzOk r) throws IOException {
    g.writeStartObject();
    g.writeBooleanField("valid", r.valid());
    g.writeStringField("code", r.code());
    g.writeStringField("key_id", r.keyId());
    g.writeStringField("owner_id", r.ownerId());
    g.writeEndObject();
  }

  private static void errorBody(JsonGenerator g, Views.ErrorBody r) throws IOException {
    g.writeStartObject();
    g.writeStringField("error", r.error());
    g.writeStringField("message", r.message());
    g.writeEndObject();
  }

  /**
   * {@link Instant#toString()} (ISO-8601, fraction in groups of three digits) without {@code
   * DateTimeFormatter}, for the years 0000–9999; other instants go to {@code toString}.
   */
  static String isoInstant(Instant t) {
    long s = t.getEpochSecond();
    if (s < -62_167_219_200L || s >= 253_402_300_800L) { // before 0000-01-01 or from 10000-01-01
      return t.toString();
    }
    int nano = t.getNano();
    LocalDateTime d = LocalDateTime.ofEpochSecond(s, nano, ZoneOffset.UTC);
    StringBuilder b = new StringBuilder(30);
    digits(b, d.getYear(), 4).append('-');
    digits(b, d.getMonthValue(), 2).append('-');
    digits(b, d.getDayOfMonth(), 2).append('T');
    digits(b, d.getHour(), 2).append(':');
    digits(b, d.getMinute(), 2).append(':');
    digits(b, d.getSecond(), 2);
    if (nano != 0) {
      b.append('.');
      if (nano % 1_000_000 == 0) {
        digits(b, nano / 1_000_000, 3);
      } else if (nano % 1_000 == 0) {
        digits(b, nano / 1_000, 6);
      } else {
        digits(b, nano, 9);
      }
    }
    return b.append('Z').toString();
  }

  private static StringBuilder digits(StringBuilder b, int v, int width) {
    String n = Integer.toString(v);
    for (int i = n.length(); i < width; i++) {
      b.append('0');
    }
    return b.append(n);
  }
}
