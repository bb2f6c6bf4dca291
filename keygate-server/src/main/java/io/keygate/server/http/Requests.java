package io.keygate.server.http;

import io.javalin.http.Context;
import io.keygate.core.KeygateException;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpField;

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
      byte[] body = new byte[(int) len];
      int n = ctx.req().getInputStream().readNBytes(body, 0, body.length);
      return n == body.length ? body : Arrays.copyOf(body, n);
    } catch (IOException e) {
      throw new KeygateException.InvalidRequest("invalid_json", "request body could not be read");
    }
  }

  /**
   * Parses a JSON body into {@code type}; an empty body counts as {@code {}}. A non-empty body must
   * be sent as JSON ({@link #requireJson}).
   */
  static <T> T body(Context ctx, Class<T> type) {
    byte[] raw = raw(ctx);
    if (raw.length == 0) {
      raw = "{}".getBytes(StandardCharsets.US_ASCII);
    } else {
      requireJson(ctx);
    }
    return Json.read(raw, type);
  }

  /** The media types of a JSON document body. */
  static final Set<String> JSON = Set.of("application/json");

  /** The media types of a JSON-lines body: one JSON value per line. */
  static final Set<String> JSON_LINES = Set.of("application/x-ndjson", "application/json");

  /** {@link #requireMediaType} for a JSON document. */
  static void requireJson(Context ctx) {
    requireMediaType(ctx, JSON);
  }

  /**
   * Refuses (415 {@code unsupported_media_type}) a body whose {@code Content-Type} is not one of
   * {@code types} exactly, case aside: no other media type ({@code text/plain}, {@code
   * application/jsonx}, {@code application/json-patch+json}, {@code application/*+json}), no
   * parameter but {@code charset}, and that only {@code utf-8}, and one {@code Content-Type} header
   * only. A body one party reads as text and another as JSON is refused rather than guessed at.
   */
  static void requireMediaType(Context ctx, Set<String> types) {
    // The raw header: Javalin's contentType() throws on an unknown charset parameter.
    String ct = ctx.header("Content-Type");
    if (ct != null && types.contains(ct) && singleContentType(ctx)) {
      return; // the common case, e.g. exactly "application/json": nothing to parse
    }
    Map<String, String> params = new HashMap<>();
    String base =
        ct == null || !singleContentType(ctx)
            ? null
            : HttpField.getValueParameters(ct, params); // null for a value of only separators
    String type = base == null ? "" : base.strip().toLowerCase(Locale.ROOT);
    String expected = String.join(" or ", new TreeSet<>(types));
    if (!types.contains(type)) {
      throw new ApiError(
          415, "unsupported_media_type", "send the request body as Content-Type: " + expected);
    }
    for (Map.Entry<String, String> p : params.entrySet()) {
      String name = p.getKey().strip().toLowerCase(Locale.ROOT);
      String value =
          p.getValue() == null
              ? ""
              : p.getValue().strip().replace("\"", "").toLowerCase(Locale.ROOT);
      if (!name.equals("charset")) {
        throw new ApiError(
            415,
            "unsupported_media_type",
            "Content-Type " + expected + " takes no parameter but charset=utf-8");
      }
      if (!value.equals("utf-8") && !value.equals("utf8")) {
        throw new ApiError(
            415, "unsupported_media_type", "JSON request bodies must be UTF-8 (charset=utf-8)");
      }
    }
  }

  /** Whether the request has exactly one {@code Content-Type} header. */
  private static boolean singleContentType(Context ctx) {
    Enumeration<String> all = ctx.req().getHeaders("Content-Type");
    if (all == null || !all.hasMoreElements()) {
      return false;
    }
    all.nextElement();
    return !all.hasMoreElements();
  }

  /** A boolean query parameter: absent, empty or {@code false} is false, {@code true} is true. */
  static boolean boolParam(Context ctx, String name) {
    String v = ctx.queryParam(name);
    if (v == null || v.isEmpty() || v.equals("false")) {
      return false;
    }
    if (v.equals("true")) {
      return true;
    }
    throw new KeygateException.InvalidRequest("invalid_" + name, name + " must be true or false");
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

  /**
   * The listing a request asks for: {@code ?owner_id=&status=&type=&limit=&cursor=} (status one of
   * active, disabled, revoked, expired).
   */
  static KeyQuery keyQuery(Context ctx) {
    KeyStatus status = null;
    String s = param(ctx, "status");
    if (s != null) {
      try {
        status = KeyStatus.fromWire(s);
      } catch (IllegalArgumentException e) {
        throw new KeygateException.InvalidRequest(
            "invalid_status", "status must be one of active, disabled, revoked, expired");
      }
    }
    return new KeyQuery(
        param(ctx, "owner_id"),
        status,
        param(ctx, "type"),
        intParam(ctx, "limit", KeyQuery.DEFAULT_LIMIT, 1, KeyQuery.MAX_LIMIT),
        param(ctx, "cursor"));
  }

  /**
   * The page {@code lister} reads; the one place where a malformed cursor (the store's {@link
   * IllegalArgumentException}) becomes 400 {@code invalid_cursor}.
   */
  static <T> Page<T> page(Supplier<Page<T>> lister) {
    try {
      return lister.get();
    } catch (IllegalArgumentException e) {
      throw invalidCursor();
    }
  }

  /** 400 {@code invalid_cursor}. */
  static KeygateException.InvalidRequest invalidCursor() {
    return new KeygateException.InvalidRequest("invalid_cursor", "cursor is not valid");
  }

  /** A query parameter; an empty value is read as absent ({@code null}). */
  static String param(Context ctx, String name) {
    String v = ctx.queryParam(name);
    return v == null || v.isEmpty() ? null : v;
  }

  /**
   * Whether an owner-restricted token asks a listing ({@code ?owner_id=}) for another owner's
   * items; each listing answers that its own way (an empty page, or 403).
   */
  static boolean asksForOtherOwner(Context ctx, Actor actor) {
    String requested = param(ctx, "owner_id");
    return requested != null && !actor.canSee(requested);
  }

  /**
   * The owner a listing covers: an owner-restricted token's own owner, else {@code ?owner_id=}
   * ({@code null}: every owner).
   */
  static String listedOwner(Context ctx, Actor actor) {
    return actor.ownerRestriction() != null ? actor.ownerRestriction() : param(ctx, "owner_id");
  }

  /** A rotation's {@code grace_period_hours} as a duration, or {@code null} for the default. */
  static Duration grace(Bodies.RotateBody b) {
    if (b.gracePeriodHours() == null) {
      return null;
    }
    double h = b.gracePeriodHours();
    if (!Double.isFinite(h) || h < 0 || h > 1_000_000) {
      throw new KeygateException.InvalidRequest(
          "invalid_grace_period", "grace_period_hours must be a number >= 0");
    }
    return Duration.ofSeconds(Math.round(h * 3600));
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
