package io.keygate.server.http;

import io.keygate.core.KeygateException;
import java.util.Map;

/**
 * An HTTP-level refusal (authentication, authorization, media type, size) with its status, stable
 * error code and optional response headers.
 */
public final class ApiError extends KeygateException {
  private final int status;
  private final Map<String, String> headers;

  /** A refusal with status, code and message. */
  public ApiError(int status, String code, String message) {
    this(status, code, message, Map.of());
  }

  /** A refusal that also sets response headers. */
  public ApiError(int status, String code, String message, Map<String, String> headers) {
    super(code, message);
    this.status = status;
    this.headers = Map.copyOf(headers);
  }

  /** HTTP status. */
  public int status() {
    return status;
  }

  /** Response headers to set. */
  public Map<String, String> headers() {
    return headers;
  }
}
