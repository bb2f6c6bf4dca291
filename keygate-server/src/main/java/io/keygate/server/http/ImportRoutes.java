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
 * "rate_limit"?|"rate_limits"?, "expires_at"?|"expires_in_days"?, "meta"?, "type"?}}. Each line is
 * imported in its own transaction; bad lines are reported with their line number and a precise
 * error, the good ones are imported. Answers {@code {"imported": n, "skipped": [{"line", "error",
 * "message"}]}}. Re-running an import is safe: lines already imported are skipped as {@code
 * already_imported}.
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
    byte[] body = ctx.bodyAsBytes();
    if (body.length > 0) {
      Requests.requireMediaType(ctx, Requests.JSON_LINES);
    }
    String[] lines = new String(body, StandardCharsets.UTF_8).split("\r?\n", -1);
    if (lines.length > MAX_LINES) {
      throw new KeygateException.InvalidRequest(
          "too_many_lines", "at most " + MAX_LINES + " lines per request");
    }
    int imported = 0;
    List<Skipped> skipped = new ArrayList<>();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      try {
        ImportBody b = Json.read(line.getBytes(StandardCharsets.UTF_8), ImportBody.class);
        importer.importKey(
            new ImportKey(
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
                b.meta()),
            actor);
        imported++;
      } catch (KeygateException.InvalidRequest e) {
        skipped.add(new Skipped(i + 1, e.code(), e.getMessage()));
      } catch (KeygateException.Conflict e) {
        skipped.add(new Skipped(i + 1, "already_imported", e.getMessage()));
      } catch (IllegalArgumentException e) {
        skipped.add(new Skipped(i + 1, "invalid_field", e.getMessage()));
      }
    }
    if (imported > 0) {
      kg.verifier().importedKeysChanged(); // here and, over Redis, on every node
    }
    HttpApi.json(ctx, 200, new Result(imported, skipped));
  }
}
