package io.keygate.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keygate.core.verify.Outcome;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one place that turns a refusal into an HTTP answer: the verdict's status, {@code {"error":
 * code, "message": …}}, {@code Cache-Control: no-store}, and the Bearer challenge on 401.
 */
final class ErrorResponses {
  private static final ObjectMapper JSON = SpringJson.MAPPER;

  private ErrorResponses() {}

  /**
   * Writes {@code verdict}; {@code keyPresented} decides whether a 401 challenge names {@code
   * error="invalid_token"} (RFC 6750 §3.1 leaves the error out when no credentials were sent).
   */
  static void write(HttpServletResponse response, KeyVerdict verdict, boolean keyPresented)
      throws IOException {
    if (response.isCommitted()) {
      return;
    }
    response.resetBuffer();
    response.setStatus(verdict.httpStatus());
    if (verdict.httpStatus() == 401) {
      boolean invalid = keyPresented || !Outcome.MISSING_API_KEY.code().equals(verdict.code());
      response.setHeader(
          "WWW-Authenticate",
          invalid
              ? "Bearer realm=\"keygate\", error=\"invalid_token\""
              : "Bearer realm=\"keygate\"");
    }
    if (verdict.httpStatus() == 503) {
      response.setHeader("Retry-After", "1");
    }
    response.setHeader("Cache-Control", "no-store");
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", verdict.code());
    body.put("message", verdict.message());
    byte[] bytes = JSON.writeValueAsBytes(body);
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
    response.flushBuffer();
  }
}
