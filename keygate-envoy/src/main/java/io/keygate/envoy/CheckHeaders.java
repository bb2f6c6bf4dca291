package io.keygate.envoy;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The original request's headers as a {@code CheckRequest} carries them: the {@code headers} map
 * (Envoy joins repeated headers with commas) and, with {@code encode_raw_headers}, the {@code
 * header_map} list (repeated headers joined the same way here). Names are case-insensitive.
 *
 * <p><b>Security guarantees.</b> Nothing garbled is guessed at: a header with an empty name, a
 * control character (CR, LF, NUL...) in its name or value, a raw value that is not UTF-8, or a
 * header given in both forms with different values refuses the whole check ({@code
 * invalid_check_request}). Messages name headers, never values.
 */
final class CheckHeaders {
  private final Map<String, String> values;

  private CheckHeaders(Map<String, String> values) {
    this.values = values;
  }

  /**
   * The headers of {@code http}.
   *
   * @throws io.keygate.core.KeygateException.InvalidRequest {@code invalid_check_request} for a
   *     garbled header
   */
  static CheckHeaders of(AttributeContext.HttpRequest http) {
    Map<String, String> map = new HashMap<>();
    for (Map.Entry<String, String> e : http.getHeadersMap().entrySet()) {
      String name = name(e.getKey());
      String value = value(e.getValue(), name);
      if (map.putIfAbsent(name, value) != null) {
        throw CheckService.invalid("the check carries header " + name + " twice");
      }
    }
    if (http.hasHeaderMap()) {
      Map<String, String> raw = new HashMap<>();
      for (HeaderValue h : http.getHeaderMap().getHeadersList()) {
        String name = name(h.getKey());
        String value =
            value(h.getRawValue().isEmpty() ? h.getValue() : utf8(h.getRawValue(), name), name);
        raw.merge(name, value, (x, y) -> x + "," + y);
      }
      for (Map.Entry<String, String> e : raw.entrySet()) {
        String before = map.putIfAbsent(e.getKey(), e.getValue());
        if (before != null && !before.equals(e.getValue())) {
          throw CheckService.invalid(
              "the check gives header " + e.getKey() + " in headers and header_map, differently");
        }
      }
    }
    return new CheckHeaders(map);
  }

  /** The value of header {@code name} (any case), or {@code null}. */
  String get(String name) {
    return values.get(name.toLowerCase(Locale.ROOT));
  }

  /** The header's value as one line, or an empty list. */
  List<String> lines(String name) {
    String v = get(name);
    return v == null ? List.of() : List.of(v);
  }

  /**
   * A required field of the request attributes.
   *
   * @throws io.keygate.core.KeygateException.InvalidRequest when blank or garbled
   */
  static String field(String value, String what) {
    if (value == null || value.isBlank()) {
      throw CheckService.invalid("the check carries no " + what + " (attributes.request.http)");
    }
    if (hasControl(value, false)) {
      throw CheckService.invalid("the check's " + what + " holds control characters");
    }
    return value;
  }

  private static String name(String name) {
    if (name.isEmpty() || hasControl(name, true)) {
      throw CheckService.invalid("the check carries a header with an empty or garbled name");
    }
    return name.toLowerCase(Locale.ROOT);
  }

  private static String value(String value, String name) {
    if (hasControl(value, false)) {
      throw CheckService.invalid("header " + name + " holds control characters");
    }
    return value;
  }

  private static String utf8(ByteString raw, String name) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw CheckService.invalid("header " + name + " is not UTF-8");
    }
  }

  /**
   * Control characters (tab allowed in values only) and DEL; in names also space and a colon after
   * the first character (a leading one is a pseudo-header's, such as {@code :authority}).
   */
  private static boolean hasControl(String s, boolean isName) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < 0x20 && (isName || c != '\t'))
          || c == 0x7f
          || (isName && (c == ' ' || (c == ':' && i > 0)))) {
        return true;
      }
    }
    return false;
  }
}
