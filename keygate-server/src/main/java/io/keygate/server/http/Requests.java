package io.keygate.server.http;

import io.javalin.http.Context;
import io.keygate.core.KeygateException;

/** Helpers for reading requests strictly. */
final class Requests {
  private Requests() {}

  /**
   * Parses a JSON body into {@code type}; an empty body counts as {@code {}}. A non-empty body must
   * be sent as {@code application/json}.
   */
  static <T> T body(Context ctx, Class<T> type) {
    byte[] raw = ctx.bodyAsBytes();
    if (raw.length == 0) {
      raw = "{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    } else {
      String ct = ctx.contentType();
      if (ct == null || !ct.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
        throw new ApiError(
            415,
            "unsupported_media_type",
            "send the request body as Content-Type: application/json");
      }
    }
    return Json.read(raw, type);
  }

  /** An integer query parameter within bounds, or its default. */
  static int intParam(Context ctx, String name, int dflt, int min, int max) {
    String v = ctx.queryParam(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new KeygateException.InvalidRequest(
        "invalid_" + name, name + " must be an integer in " + min + ".." + max);
  }

  /** A path parameter that must look like a Keygate id ({@code key_…}). */
  static String keyId(Context ctx) {
    String id = ctx.pathParam("key_id");
    if (id.length() > 64 || !id.matches("key_[0-9A-Za-z]{1,60}")) {
      throw new KeygateException.NotFound("no key with id " + HttpApi.redact(id));
    }
    return id;
  }
}
