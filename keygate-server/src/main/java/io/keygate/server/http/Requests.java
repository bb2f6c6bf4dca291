package io.keygate.server.http;

import io.javalin.http.Context;
import io.keygate.core.KeygateException;

/** Helpers for reading requests strictly. */
final class Requests {
  /**
   * Bodies with a {@code Content-Length} up to this size are read in one exact-size read instead of
   * through Javalin's 8 KiB staging buffer (every {@code /v1/verify} call is such a body). It is
   * the smallest {@code KEYGATE_MAX_BODY_BYTES} allowed, so the configured limit always holds.
   */
  static final int SMALL_BODY = 1024;

  private Requests() {}

  /**
   * The request body: small ones read directly, others through Javalin (which enforces the limit).
   */
  static byte[] raw(Context ctx) {
    long len = ctx.req().getContentLengthLong();
    if (len < 0 || len > SMALL_BODY) {
      return ctx.bodyAsBytes();
    }
    try {
      return ctx.req().getInputStream().readNBytes((int) len);
    } catch (java.io.IOException e) {
      throw new KeygateException.InvalidRequest("invalid_json", "request body could not be read");
    }
  }

  /**
   * Parses a JSON body into {@code type}; an empty body counts as {@code {}}. A non-empty body must
   * be sent as {@code application/json}.
   */
  static <T> T body(Context ctx, Class<T> type) {
    byte[] raw = raw(ctx);
    if (raw.length == 0) {
      raw = "{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    } else {
      // The raw header: Javalin's contentType() throws on an unknown charset parameter.
      String ct = ctx.header("Content-Type");
      String lower = ct == null ? "" : ct.toLowerCase(java.util.Locale.ROOT);
      if (!lower.startsWith("application/json")) {
        throw new ApiError(
            415,
            "unsupported_media_type",
            "send the request body as Content-Type: application/json");
      }
      int charset = lower.indexOf("charset=");
      String cs = charset < 0 ? "utf-8" : lower.substring(charset + 8).strip().replace("\"", "");
      if (!(cs.startsWith("utf-8") || cs.startsWith("utf8") || cs.startsWith("us-ascii"))) {
        throw new ApiError(
            415, "unsupported_media_type", "JSON request bodies must be UTF-8 (charset=utf-8)");
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
