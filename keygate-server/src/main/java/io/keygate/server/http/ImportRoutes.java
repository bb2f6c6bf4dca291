package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.lifecycle.ImportKey;
import io.keygate.core.lifecycle.KeyImporter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/keys/import} (scope {@code keys:write}): keys from another system as JSON lines,
 * each {@code {"sha256", "prefix"?, "owner_id", "name"?, "scopes"?, "ip_allowlist"?,
 * "rate_limit"?|"rate_limits"?, "expires_at"?|"expires_in_days"?, "meta"?, "type"?}}.
 *
 * <p>All or nothing for bad input: every line is validated (with the same validation as {@code POST
 * /v1/keys}) before any is written, and one invalid line refuses the request with 400 {@code
 * invalid_import} listing each bad line ({@code "lines": [{"line", "error", "message"}]}), so a key
 * with, say, a malformed endpoint rule is never stored. {@code ?dry_run=true} validates only. Then
 * each key is written in its own transaction; answers {@code {"imported": n, "skipped": [{"line",
 * "error", "message"}]}}, where the only skip is a key imported before ({@code already_imported}):
 * re-running an import is safe.
 */
final class ImportRoutes {
  /** Most lines in one request (the CLI sends larger files in chunks). */
  static final int MAX_LINES = 10_000;

  /** One line of the import. */
  record ImportBody(
      String sha256,
      String prefix,
      String type,
      String ownerId,
      String name,
      List<String> scopes,
      List<String> ipAllowlist,
      Bodies.RateLimitBody rateLimit,
      List<Bodies.RateLimitBody> rateLimits,
      Instant expiresAt,
      Integer expiresInDays,
      Map<String, Object> meta) {}

  record Skipped(int line, String error, String message) {}

  record Result(int imported, List<Skipped> skipped) {}

  /** The 400 answer: nothing was imported because of these lines. */
  record Refused(String error, String message, List<Skipped> lines) {}

  /** The {@code dry_run} answer: every line is valid. */
  record Checked(int valid) {}

  /** A line that passed validation, with its line number. */
  private record Line(int number, KeyImporter.Prepared key) {}

  private final Keygate kg;
  private final AdminAuth auth;
  private final KeyImporter importer;

  ImportRoutes(Keygate kg, AdminAuth auth) {
    this.kg = kg;
    this.auth = auth;
    this.importer =
        new KeyImporter(
            kg.store(),
            kg.format(),
            kg.hasher(),
            kg.keys().policy(),
            kg.clock(),
            SecureRandom::new);
  }

  void register(JavalinConfig config) {
    config.routes.post("/v1/keys/import", this::importKeys);
  }

  private void importKeys(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    boolean dryRun = Requests.boolParam(ctx, "dry_run");
    byte[] body = ctx.bodyAsBytes();
    if (body.length > 0) {
      Requests.requireMediaType(ctx, Requests.JSON_LINES);
    }
    String[] lines = new String(body, StandardCharsets.UTF_8).split("\r?\n", -1);
    if (lines.length > MAX_LINES) {
      throw new KeygateException.InvalidRequest(
          "too_many_lines", "at most " + MAX_LINES + " lines per request");
    }
    List<Line> valid = new ArrayList<>();
    List<Skipped> invalid = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      try {
        valid.add(new Line(i + 1, importer.prepare(parse(line), actor)));
      } catch (KeygateException.InvalidRequest e) {
        invalid.add(new Skipped(i + 1, e.code(), e.getMessage()));
      } catch (IllegalArgumentException e) {
        invalid.add(new Skipped(i + 1, "invalid_field", e.getMessage()));
      }
    }
    if (!invalid.isEmpty()) {
      HttpApi.json(
          ctx,
          400,
          new Refused(
              "invalid_import",
              invalid.size()
                  + " line(s) are invalid; nothing was imported (see lines). Fix them and send"
                  + " the file again.",
              invalid));
      return;
    }
    if (dryRun) {
      HttpApi.json(ctx, 200, new Checked(valid.size()));
      return;
    }
    int imported = 0;
    List<Skipped> skipped = new ArrayList<>();
    for (Line l : valid) {
      try {
        importer.store(l.key(), actor);
        imported++;
      } catch (KeygateException.Conflict e) {
        skipped.add(new Skipped(l.number(), "already_imported", e.getMessage()));
      }
    }
    if (imported > 0) {
      kg.verifier().importedKeysChanged(); // here and, over Redis, on every node
    }
    HttpApi.json(ctx, 200, new Result(imported, skipped));
  }

  private static ImportKey parse(String line) {
    ImportBody b = Json.read(line.getBytes(StandardCharsets.UTF_8), ImportBody.class);
    return new ImportKey(
        b.sha256(),
        b.prefix(),
        b.type(),
        b.ownerId(),
        b.name(),
        b.scopes(),
        b.ipAllowlist(),
        Bodies.rateLimits(b.rateLimit(), b.rateLimits()),
        b.expiresAt(),
        b.expiresInDays(),
        b.meta());
  }
}
