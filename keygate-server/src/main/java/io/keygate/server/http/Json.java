package io.keygate.server.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.keygate.core.KeygateException;
import io.keygate.server.json.KeygateJson;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Request and answer bodies through the server's one mapper ({@link KeygateJson}: snake_case,
 * strict, ISO-8601 instants): unknown fields, duplicate fields, wrong types and coercions are 400s
 * with a precise message naming the field.
 *
 * <p><b>Security guarantees.</b> A parse error never echoes the input (Jackson's own messages quote
 * the offending token, which may be a key): the answer names the position, and a field name only
 * when it looks like one of the API's own ({@value #FIELD_NAME}). A field given twice is refused
 * rather than letting the last one win, so two parsers (a gateway's and Keygate's) cannot read one
 * body differently.
 */
public final class Json {
  /** The shape of a field name an error message may repeat; anything else is not echoed. */
  static final String FIELD_NAME = "[a-z][a-z0-9_]{0,31}";

  private static final Pattern FIELD = Pattern.compile(FIELD_NAME);

  /** The server's one mapper, {@link KeygateJson#MAPPER}. */
  public static final ObjectMapper MAPPER = KeygateJson.MAPPER;

  // Readers and writers bound to a type once: a request skips the root (de)serializer lookup.
  private static final ClassValue<ObjectReader> READERS =
      new ClassValue<>() {
        @Override
        protected ObjectReader computeValue(Class<?> type) {
          return MAPPER.readerFor(type);
        }
      };
  private static final ClassValue<ObjectWriter> WRITERS =
      new ClassValue<>() {
        @Override
        protected ObjectWriter computeValue(Class<?> type) {
          return MAPPER.writerFor(type);
        }
      };

  private Json() {}

  /**
   * Parses a request body into {@code type}, turning every failure into a 400 with a reason (a
   * {@code /v1/verify} body through the streaming parser first, see {@link VerifyBodies}).
   */
  public static <T> T read(byte[] body, Class<T> type) {
    if (type == Bodies.VerifyBody.class) {
      Bodies.VerifyBody streamed = VerifyBodies.read(body);
      if (streamed != null) {
        return type.cast(streamed);
      }
    }
    try {
      T v = READERS.get(type).readValue(body);
      if (v == null) {
        throw new KeygateException.InvalidRequest(
            "invalid_json", "request body must be a JSON object");
      }
      return v;
    } catch (UnrecognizedPropertyException e) {
      throw new KeygateException.InvalidRequest(
          "unknown_field", "unknown field " + fieldName(e.getPropertyName()));
    } catch (MismatchedInputException e) {
      if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Trailing token")) {
        throw new KeygateException.InvalidRequest(
            "invalid_json", "request body has data after its JSON value" + where(e));
      }
      String path = fieldPath(e);
      throw new KeygateException.InvalidRequest(
          "invalid_field",
          path.isEmpty()
              ? "request body must be a JSON object"
              : "invalid value for '" + path + "'" + expected(e));
    } catch (JsonMappingException e) {
      if (e.getCause() instanceof JsonProcessingException p
          && !(p instanceof JsonMappingException)) {
        throw syntaxError("request body", p); // a parse failure (limits) wrapped by data binding
      }
      String path = fieldPath(e);
      throw new KeygateException.InvalidRequest(
          "invalid_field",
          path.isEmpty()
              ? "request body is not a valid value"
              : "invalid value for '" + path + "'");
    } catch (JsonProcessingException e) {
      throw syntaxError("request body", e);
    } catch (IOException e) {
      throw new KeygateException.InvalidRequest("invalid_json", "request body could not be read");
    }
  }

  /**
   * The 400 for JSON that does not parse, without echoing any of it: {@code duplicate_field} for a
   * field given twice, else {@code invalid_json}; both with the position.
   *
   * @param what what was parsed, for the message (e.g. {@code "request body"}, {@code "line 3"})
   */
  static KeygateException.InvalidRequest syntaxError(String what, JsonProcessingException e) {
    if (e instanceof StreamReadException r
        && e.getOriginalMessage() != null
        && e.getOriginalMessage().startsWith("Duplicate field")) {
      String name = r.getProcessor() == null ? null : currentName(r.getProcessor());
      return new KeygateException.InvalidRequest(
          "duplicate_field",
          what + " gives field " + fieldName(name) + " more than once" + where(e));
    }
    return new KeygateException.InvalidRequest(
        "invalid_json",
        what
            + " is not valid JSON"
            + where(e)
            + (e instanceof StreamConstraintsException ? " (too deeply nested or too long)" : ""));
  }

  private static String currentName(JsonParser p) {
    try {
      return p.currentName();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** {@code 'name'} for a plausible field name, else a neutral word: input is never echoed. */
  private static String fieldName(String name) {
    return name != null && FIELD.matcher(name).matches() ? "'" + name + "'" : "(name not shown)";
  }

  /** {@code " at line L, column C"}, or nothing when the position is unknown. */
  private static String where(JsonProcessingException e) {
    JsonLocation l = e.getLocation();
    return l == null || l.getLineNr() < 1
        ? ""
        : " at line " + l.getLineNr() + ", column " + l.getColumnNr();
  }

  private static String fieldPath(JsonMappingException e) {
    return e.getPath().stream()
        .map(
            r ->
                r.getFieldName() == null
                    ? "[" + r.getIndex() + "]"
                    : FIELD.matcher(r.getFieldName()).matches() ? r.getFieldName() : "?")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  private static String expected(MismatchedInputException e) {
    Class<?> t = e.getTargetType();
    if (t == null) {
      return "";
    }
    if (t == String.class) {
      return ": expected a string";
    }
    if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
      return ": expected an integer";
    }
    if (t == Double.class || t == double.class) {
      return ": expected a number";
    }
    if (t == Boolean.class || t == boolean.class) {
      return ": expected true or false";
    }
    if (List.class.isAssignableFrom(t)) {
      return ": expected an array";
    }
    if (Map.class.isAssignableFrom(t) || t.isRecord()) {
      return ": expected an object";
    }
    return "";
  }

  /**
   * Serialises a response body ({@code /v1/verify}'s answer streamed, see {@link VerifyBodies}).
   */
  public static byte[] write(Object value) {
    try {
      if (value instanceof Views.VerifyResult r) {
        return VerifyBodies.write(r);
      }
      return value == null
          ? MAPPER.writeValueAsBytes(null)
          : WRITERS.get(value.getClass()).writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
    }
  }
}
