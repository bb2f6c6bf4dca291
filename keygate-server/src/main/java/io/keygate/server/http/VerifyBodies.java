package io.keygate.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keygate.server.json.KeygateJson;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code POST /v1/verify} request and answer through Jackson's streaming API (its {@link
 * JsonParser} and {@link JsonGenerator}, from the server's one mapper's factory) instead of data
 * binding, which costs about a microsecond more per request here (record creators, property
 * buffering, serializer lookups). Tokenizing, escaping, number parsing and duplicate-field
 * detection stay Jackson's; only the mapping of the eight request fields and twelve answer fields
 * is written out. {@link Json#read} and {@link Json#write} hand these two types here, so routes
 * need not know.
 *
 * <p><b>Contract.</b> {@link #read} returns what data binding returns for the same bytes, or {@code
 * null} for anything it does not take (an unknown or repeated field, a value of another type,
 * trailing data, a parse error): {@link Json#read} then binds the bytes with the mapper, so every
 * refusal keeps the mapper's code and message. {@link #write} writes the mapper's bytes for the
 * same value (field order, nulls, ISO-8601 instants, escapes). Both are checked against the mapper
 * in {@code VerifyWireFormatTest}.
 */
final class VerifyBodies {
  private static final JsonFactory FACTORY = KeygateJson.MAPPER.getFactory();

  /**
   * {@code expires_at} as ISO-8601 text ({@link Instant#toString}, what the mapper writes), per
   * instant: formatting it was a third of {@link #write}'s time, and a key's expiry is the same on
   * every call. Bounded, so arbitrary expiries cannot grow it; an expiry is not a secret.
   */
  private static final Cache<Instant, String> INSTANTS =
      Caffeine.newBuilder().maximumSize(16_384).build();

  /** Thrown (without a stack trace) where {@link #read} leaves the body to data binding. */
  private static final class Decline extends Exception {
    private static final Decline INSTANCE = new Decline();

    private Decline() {
      super(null, null, false, false);
    }
  }

  private VerifyBodies() {}

  /** The request as data binding would give it, or {@code null} to leave it to data binding. */
  static Bodies.VerifyBody read(byte[] body) {
    try (JsonParser p = FACTORY.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String key = null, ip = null, method = null, path = null, userAgent = null;
      List<String> any = null, all = null;
      Long cost = null;
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken t = p.nextToken();
        switch (name) {
          case "key" -> key = string(p, t);
          case "ip" -> ip = string(p, t);
          case "method" -> method = string(p, t);
          case "path" -> path = string(p, t);
          case "user_agent" -> userAgent = string(p, t);
          case "required_scopes" -> any = strings(p, t);
          case "required_scopes_all" -> all = strings(p, t);
          case "cost" -> cost = integer(p, t);
          default -> {
            return null;
          }
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null;
      }
      return new Bodies.VerifyBody(key, any, all, ip, method, path, cost, userAgent);
    } catch (IOException | Decline e) {
      return null;
    }
  }

  private static String string(JsonParser p, JsonToken t) throws IOException, Decline {
    if (t == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    throw Decline.INSTANCE;
  }

  /** An array of strings (no nulls: those go to data binding, and then to the route's 400). */
  private static List<String> strings(JsonParser p, JsonToken t) throws IOException, Decline {
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    if (t != JsonToken.START_ARRAY) {
      throw Decline.INSTANCE;
    }
    List<String> out = new ArrayList<>(2);
    JsonToken e;
    while ((e = p.nextToken()) == JsonToken.VALUE_STRING) {
      out.add(p.getText());
    }
    if (e != JsonToken.END_ARRAY) {
      throw Decline.INSTANCE;
    }
    return out;
  }

  private static Long integer(JsonParser p, JsonToken t) throws IOException, Decline {
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw Decline.INSTANCE;
    }
    return p.getLongValue();
  }

  /** The answer's bytes, as the mapper writes them. */
  static byte[] write(Views.VerifyResult r) throws IOException {
    ByteArrayBuilder out = new ByteArrayBuilder(256);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
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
      g.writeStringField("expires_at", r.expiresAt() == null ? null : iso(r.expiresAt()));
      g.writeFieldName("meta");
      if (r.meta() == null) {
        g.writeNull();
      } else if (r.meta().isEmpty()) {
        g.writeStartObject();
        g.writeEndObject();
      } else {
        g.writeObject(r.meta()); // arbitrary JSON values: the mapper's own serializers
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
    return out.toByteArray();
  }

  private static String iso(Instant t) {
    return INSTANTS.get(t, Instant::toString);
  }
}
