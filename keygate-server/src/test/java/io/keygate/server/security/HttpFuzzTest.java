package io.keygate.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keygate.server.Route;
import io.keygate.server.config.EnforcementConfig;
import io.keygate.server.http.Json;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.RawHttp;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * HTTP fuzzing against a real server on a random loopback port: generated methods, paths (every
 * route template of the live route table with mutated parameters, random segments, encodings, very
 * long paths), headers (content types, huge and odd values, malformed {@code Authorization}) and
 * bodies (JSON built from each route's request schema in {@code /openapi.json}, with right and
 * wrong shapes, random JSON, random bytes, deep nesting, huge strings, invalid UTF-8).
 *
 * <p>Every answer must be below 500, must not show a stack trace or a Java class name, and every
 * error (4xx) must be a JSON object {@code {"error": <snake_case code>, "message": <text>}}.
 *
 * <p>Tries per property: {@code jqwik.tries.default} (300 in {@code junit-platform.properties});
 * long run: {@code ./mvnw -pl keygate-server test -Dtest=HttpFuzzTest
 * -Djqwik.tries.default=100000}. The brute-force guard is off so that fuzzed admin calls reach the
 * handlers instead of being blocked after the first 20 bad tokens.
 */
class HttpFuzzTest {
  private static final Pattern LEAKY =
      Pattern.compile(
          "\\bat [a-zA-Z_$][\\w$]*(\\.[\\w$<>]+)+\\(|"
              + "\\b(java|javax|jakarta|kotlin|io\\.keygate|io\\.javalin|org\\.eclipse|"
              + "com\\.fasterxml|org\\.sqlite|com\\.zaxxer)\\.[a-z]|"
              + "[A-Za-z]+(Exception|Error)\\b[:\\s]|\\.java:\\d+");
  private static final Pattern CODE = Pattern.compile("[a-z][a-z0-9_]*");
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  // jqwik runs no JUnit extension: its container hooks drive the extension's start/close API
  private static final KeygateServerExtension servers = new KeygateServerExtension();
  private static TestServer server;
  private static String admin;
  private static String keyId;
  private static List<Route> routes;
  private static JsonNode openapi;

  @BeforeContainer
  static void start() throws IOException {
    server =
        servers.startInTempDir(
            c -> c,
            b -> b.clock(Clock.systemUTC()).enforcement(new EnforcementConfig(Map.of(), null)));
    admin = server.adminToken;
    keyId =
        Json.MAPPER
            .readTree(
                RawHttp.send(
                        port(),
                        "POST",
                        "/v1/keys",
                        Map.of(
                            "Authorization", "Bearer " + admin, "Content-Type", "application/json"),
                        "{\"owner_id\":\"fuzz\"}".getBytes(StandardCharsets.UTF_8))
                    .body())
            .path("key_id")
            .asText();
    routes = server.server.routes();
    openapi =
        Json.MAPPER.readTree(RawHttp.send(port(), "GET", "/openapi.json", Map.of(), null).body());
  }

  @AfterContainer
  static void stop() {
    servers.close();
  }

  private static int port() {
    return server.server.port();
  }

  /** One generated request. */
  record Fuzz(String method, String target, Map<String, String> headers, byte[] body) {
    @Override
    public String toString() {
      String b =
          body == null
              ? "none"
              : new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
      return method
          + " "
          + abbreviate(target)
          + " headers="
          + abbreviateMap(headers)
          + " body("
          + (body == null ? 0 : body.length)
          + ")="
          + abbreviate(b);
    }
  }

  @Provide
  Arbitrary<Fuzz> requests() {
    return Arbitraries.longs().map(seed -> generate(new Random(seed)));
  }

  @Property
  void anyRequest_isAnsweredWithoutServerErrorOrLeak(@ForAll("requests") Fuzz f)
      throws IOException {
    RawHttp.Answer a = RawHttp.send(port(), f.method, f.target, f.headers, f.body);
    checkAnswer(f.toString(), f.method, f.target, a);
  }

  @Provide
  Arbitrary<Fuzz> adminCalls() {
    // well-formed admin calls with schema-shaped bodies: reach the handlers past authentication
    return Arbitraries.longs()
        .map(
            seed -> {
              Random r = new Random(seed);
              Route route = pick(r, adminRoutes());
              Map<String, String> h = new LinkedHashMap<>();
              h.put("Authorization", "Bearer " + admin);
              h.put("Content-Type", "application/json");
              byte[] body = null;
              if (hasBody(route.method())) {
                JsonNode schema = requestSchema(route);
                JsonNode v =
                    schema == null ? randomJson(r, 3) : fromSchema(r, schema, 0, r.nextInt(4) == 0);
                body = Json.write(v);
              }
              return new Fuzz(
                  route.method(), fillPath(r, route.path(), true) + maybeQuery(r), h, body);
            });
  }

  @Property
  void schemaShapedAdminCalls_areAnsweredWithoutServerErrorOrLeak(@ForAll("adminCalls") Fuzz f)
      throws IOException {
    RawHttp.Answer a = RawHttp.send(port(), f.method, f.target, f.headers, f.body);
    checkAnswer(f.toString(), f.method, f.target, a);
  }

  static void checkAnswer(String request, String method, String target, RawHttp.Answer a) {
    String body = a.text();
    request = "HTTP " + a.status() + " for " + request;
    assertThat(a.status()).as("status for %s; body: %s", request, abbreviate(body)).isLessThan(500);
    boolean staticAsset =
        a.status() < 300 && (target.startsWith("/openapi.json") || target.startsWith("/ui"));
    if (!staticAsset) {
      assertThat(LEAKY.matcher(body).find())
          .as("stack trace or class name in the answer to %s: %s", request, abbreviate(body))
          .isFalse();
    }
    if (a.status() >= 400 && a.cutShort()) {
      // the client lost the body to a TCP reset after an early answer (413/431): the headers
      // still show a JSON error
      assertThat(a.headers().get("content-type"))
          .as("content type of %s", request)
          .startsWith("application/json");
      return;
    }
    if (a.status() >= 400
        && a.status() != 503
        && !method.equals("HEAD")
        && (target.equals("/v1/authz")
            || target.startsWith("/v1/authz/")
            || target.startsWith("/v1/authz?"))
        && body.isEmpty()) {
      // forward auth answers with headers only (unless asked for JSON): the code is in a header
      String code = a.headers().get("x-keygate-error");
      assertThat(code != null && CODE.matcher(code).matches())
          .as("X-Keygate-Error of the empty authz answer to %s %s", request, a.headers())
          .isTrue();
      return;
    }
    if (a.status() >= 400 && !method.equals("HEAD")) {
      JsonNode e;
      try {
        e = Json.MAPPER.readTree(body);
      } catch (IOException ex) {
        throw new AssertionError(
            "error answer is not JSON for "
                + request
                + " "
                + a.headers()
                + ": "
                + abbreviate(body));
      }
      assertThat(
              e != null
                  && e.isObject()
                  && e.path("error").isTextual()
                  && e.path("message").isTextual())
          .as("error body shape for %s %s: %s", request, a.headers(), abbreviate(body))
          .isTrue();
      String code = e.path("error").asText();
      assertThat(
              CODE.matcher(code).matches()
                  && !code.equals("internal_error")
                  && !code.startsWith("http_"))
          .as("precise error code for %s: %s", request, code)
          .isTrue();
    }
  }

  // ------------------------------------------------------------------ generators

  private static final String[] METHODS = {
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "QUERY", "FOO", "get"
  };
  private static final String[] CONTENT_TYPES = {
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=utf-16",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/x-ndjson",
    "*/*",
    ";;;",
    "application/json; charset=nope",
  };

  static Fuzz generate(Random r) {
    Route route = pick(r, routes);
    String method = r.nextInt(4) == 0 ? pick(r, METHODS) : route.method();
    String target = path(r, route) + maybeQuery(r);
    Map<String, String> h = new LinkedHashMap<>();
    switch (r.nextInt(10)) {
      case 0, 1, 2, 3 -> h.put("Authorization", "Bearer " + admin);
      case 4 -> h.put("Authorization", "Bearer " + randomText(r, 60));
      case 5 ->
          h.put(
              "Authorization",
              pick(
                  r,
                  new String[] {
                    "Bearer",
                    "Bearer ",
                    "Basic Zm9vOmJhcg==",
                    "bearer  " + admin,
                    "Bearer " + admin + " extra",
                    "Token " + admin
                  }));
      case 6 -> h.put("Authorization", "Bearer " + "A".repeat(r.nextInt(12_000)));
      case 7 -> h.put("X-API-Key", randomText(r, 80));
      case 8 -> h.put("Authorization", "Bearer " + mutateKey(r, admin));
      default -> {}
    }
    if (r.nextInt(3) > 0) {
      h.put("Content-Type", pick(r, CONTENT_TYPES));
    }
    if (r.nextInt(6) == 0) {
      h.put(
          "X-Forwarded-For",
          pick(r, new String[] {"1.2.3.4", "::1, 10.0.0.1", "garbage", "999.1.1.1", ""}));
    }
    if (r.nextInt(8) == 0) {
      h.put("X-Odd-" + r.nextInt(100), "v".repeat(r.nextInt(40_000)));
    }
    if (r.nextInt(10) == 0) {
      h.put("Accept", pick(r, new String[] {"text/html", "application/xml", "*/*", "\u00e9"}));
    }
    return new Fuzz(method, target, h, body(r, route));
  }

  static byte[] body(Random r, Route route) {
    return switch (r.nextInt(10)) {
      case 0 -> null;
      case 1, 2, 3 -> {
        JsonNode schema = requestSchema(route);
        yield Json.write(
            schema == null ? randomJson(r, 4) : fromSchema(r, schema, 0, r.nextBoolean()));
      }
      case 4 -> Json.write(randomJson(r, 5));
      case 5 -> {
        byte[] b = new byte[r.nextInt(2000)];
        r.nextBytes(b);
        yield b;
      }
      case 6 -> {
        int depth = 50 + r.nextInt(12_000);
        String open = r.nextBoolean() ? "[" : "{\"a\":";
        String close = open.equals("[") ? "]" : "}";
        yield (open.repeat(depth) + "1" + close.repeat(depth)).getBytes(StandardCharsets.UTF_8);
      }
      case 7 ->
          ("{\"owner_id\":\"" + "x".repeat(r.nextInt(80_000)) + "\"}")
              .getBytes(StandardCharsets.UTF_8);
      case 8 -> {
        byte[] pre = "{\"owner_id\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xED, (byte) 0xA0, (byte) 0x80};
        byte[] post = "\",\"name\":\"n\"}".getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[pre.length + bad.length + post.length];
        System.arraycopy(pre, 0, out, 0, pre.length);
        System.arraycopy(bad, 0, out, pre.length, bad.length);
        System.arraycopy(post, 0, out, pre.length + bad.length, post.length);
        yield out;
      }
      default ->
          pick(
                  r,
                  new String[] {
                    "", "{", "null", "[]", "{}{}", "\"str\"", "1e999999", "{\"a\":1,}", "\u0000"
                  })
              .getBytes(StandardCharsets.UTF_8);
    };
  }

  static String path(Random r, Route route) {
    return switch (r.nextInt(8)) {
      case 0 -> "/" + randomSegment(r) + "/" + randomSegment(r);
      case 1 -> route.path().replaceAll("[{<][^}>]+[}>]", "") + "/" + randomSegment(r);
      case 2 -> "/v1/" + "a/".repeat(r.nextInt(3000));
      case 3 ->
          fillPath(r, route.path(), false)
              .replace(
                  "/v1", pick(r, new String[] {"/v1/..", "//v1", "/V1", "/v1/%2e%2e", "/v1;x=1"}));
      default -> fillPath(r, route.path(), r.nextBoolean());
    };
  }

  static String fillPath(Random r, String template, boolean real) {
    StringBuilder out = new StringBuilder();
    var m = Pattern.compile("\\{([^}]+)}|<([^>]+)>").matcher(template);
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String v =
          real && name.equals("key_id")
              ? keyId
              : real && name.equals("owner_id") ? "fuzz" : randomSegment(r);
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  static String randomSegment(Random r) {
    return switch (r.nextInt(9)) {
      case 0 -> "%00";
      case 1 -> "%ZZ%";
      case 2 -> "%C3%28%FF";
      case 3 -> "key_" + "9".repeat(r.nextInt(10_000));
      case 4 -> "sk_live_" + randomBase62(r, 49);
      case 5 -> "%2F..%2F..%2Fetc%2Fpasswd";
      case 6 -> "%F0%9F%94%91" + r.nextInt();
      case 7 -> "";
      default -> randomBase62(r, r.nextInt(30) + 1);
    };
  }

  static String maybeQuery(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> "?limit=" + pick(r, new String[] {"-1", "0", "99999999999", "abc", "1.5", ""});
      case 1 -> "?cursor=" + pick(r, new String[] {"%%%", "AAAA", "eyJ9", "x".repeat(5000)});
      case 2 -> "?api_key=sk_live_" + randomBase62(r, 49);
      case 3 ->
          "?owner_id=a&owner_id=b&format="
              + pick(r, new String[] {"gitleaks", "trufflehog", "keygate", "sarif", "%00"});
      case 4 -> "?" + randomBase62(r, 10) + "=" + "%E2%82";
      default -> "";
    };
  }

  static String mutateKey(Random r, String key) {
    char[] c = key.toCharArray();
    int i = r.nextInt(c.length);
    c[i] = c[i] == 'a' ? 'b' : 'a';
    return r.nextBoolean() ? new String(c) : key.substring(0, r.nextInt(key.length()));
  }

  static JsonNode requestSchema(Route route) {
    JsonNode op = openapi.path("paths").path(route.path()).path(route.method().toLowerCase());
    JsonNode s = op.path("requestBody").path("content").path("application/json").path("schema");
    return s.isMissingNode() ? null : s;
  }

  /** A value of the schema's shape; with {@code wrong}, some values get another JSON type. */
  static JsonNode fromSchema(Random r, JsonNode schema, int depth, boolean wrong) {
    if (schema.has("$ref")) {
      String ref = schema.get("$ref").asText().replace("#/", "");
      JsonNode target = openapi;
      for (String part : ref.split("/")) {
        target = target.path(part);
      }
      return fromSchema(r, target, depth, wrong);
    }
    if (wrong && r.nextInt(5) == 0 || depth > 6) {
      return randomJson(r, 2);
    }
    if (schema.has("enum") && r.nextInt(4) > 0) {
      return pick(r, schema.get("enum"));
    }
    if (schema.has("oneOf") || schema.has("anyOf")) {
      JsonNode alts = schema.has("oneOf") ? schema.get("oneOf") : schema.get("anyOf");
      return fromSchema(r, pick(r, alts), depth + 1, wrong);
    }
    String type =
        schema.path("type").isArray()
            ? pick(r, schema.get("type")).asText()
            : schema.path("type").asText("object");
    switch (type) {
      case "object" -> {
        ObjectNode o = F.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields();
            it.hasNext(); ) {
          var p = it.next();
          if (r.nextInt(10) < 7) {
            o.set(p.getKey(), fromSchema(r, p.getValue(), depth + 1, wrong));
          }
        }
        if (schema.path("additionalProperties").isObject()) {
          for (int i = r.nextInt(3); i > 0; i--) {
            o.set(
                randomBase62(r, 5),
                fromSchema(r, schema.get("additionalProperties"), depth + 1, wrong));
          }
        }
        if (wrong && r.nextInt(3) == 0) {
          o.set("unknown_" + r.nextInt(9), randomJson(r, 2));
        }
        return o;
      }
      case "array" -> {
        ArrayNode a = F.arrayNode();
        for (int i = r.nextInt(r.nextInt(10) == 0 ? 300 : 4); i > 0; i--) {
          a.add(fromSchema(r, schema.path("items"), depth + 1, wrong));
        }
        return a;
      }
      case "integer" -> {
        return F.numberNode(
            pick(
                r,
                new Long[] {
                  0L,
                  1L,
                  -1L,
                  24L,
                  8760L,
                  Long.MAX_VALUE,
                  Long.MIN_VALUE,
                  (long) Integer.MAX_VALUE + 1,
                  (long) r.nextInt(1000)
                }));
      }
      case "number" -> {
        return F.numberNode(
            pick(
                r,
                new Double[] {
                  0.0, -0.5, 1.5, 1e308, -1e308, Double.MIN_VALUE, 24.0, r.nextDouble() * 1000
                }));
      }
      case "boolean" -> {
        return F.booleanNode(r.nextBoolean());
      }
      default -> {
        return F.textNode(randomString(r, schema));
      }
    }
  }

  static String randomString(Random r, JsonNode schema) {
    String fmt = schema.path("format").asText("");
    return switch (r.nextInt(10)) {
      case 0 -> "";
      case 1 -> "x".repeat(r.nextInt(70_000));
      case 2 -> "2026-01-01T00:00:00Z";
      case 3 ->
          pick(
              r,
              new String[] {
                "1.2.3.4", "10.0.0.0/8", "::1", "fe80::/10", "300.1.1.1/99", "1.2.3.4/-1"
              });
      case 4 -> "\u0000\u202e\ud83d\udd11\\\"";
      case 5 -> pick(r, new String[] {"keys:read", "GET /v1/*", "POST", "*", "sk_live", "admin"});
      case 6 ->
          fmt.equals("date-time") ? "not a date" : "https://example.com/" + randomBase62(r, 8);
      default -> randomText(r, 40);
    };
  }

  static JsonNode randomJson(Random r, int depth) {
    int k = depth <= 0 ? r.nextInt(5) : r.nextInt(7);
    return switch (k) {
      case 0 -> F.nullNode();
      case 1 -> F.booleanNode(r.nextBoolean());
      case 2 -> F.numberNode(r.nextInt(3) == 0 ? r.nextDouble() * 1e20 : r.nextLong());
      case 3, 4 -> F.textNode(randomText(r, 30));
      case 5 -> {
        ArrayNode a = F.arrayNode();
        for (int i = r.nextInt(5); i > 0; i--) {
          a.add(randomJson(r, depth - 1));
        }
        yield a;
      }
      default -> {
        ObjectNode o = F.objectNode();
        for (int i = r.nextInt(5); i > 0; i--) {
          o.set(
              pick(
                  r,
                  new String[] {
                    "owner_id",
                    "name",
                    "scopes",
                    "key",
                    "expires_at",
                    "type",
                    "ip_allowlist",
                    "rate_limits",
                    "meta",
                    randomBase62(r, 4)
                  }),
              randomJson(r, depth - 1));
        }
        yield o;
      }
    };
  }

  static String randomText(Random r, int max) {
    StringBuilder b = new StringBuilder();
    for (int i = r.nextInt(max + 1); i > 0; i--) {
      b.append(
          r.nextInt(4) == 0
              ? (char) (0x20 + r.nextInt(0x5f))
              : (char) (r.nextInt(3) == 0 ? r.nextInt(0x3000) : 'a' + r.nextInt(26)));
    }
    return b.toString().replaceAll("[\\r\\n]", " ");
  }

  static String randomBase62(Random r, int n) {
    String a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(a.charAt(r.nextInt(62)));
    }
    return b.toString();
  }

  static List<Route> adminRoutes() {
    List<Route> out = new ArrayList<>();
    for (Route x : routes) {
      if (!AuthorizationMatrixTest.isPublic(x)) {
        out.add(x);
      }
    }
    return out;
  }

  static boolean hasBody(String method) {
    return method.equals("POST") || method.equals("PATCH") || method.equals("PUT");
  }

  static <T> T pick(Random r, T[] a) {
    return a[r.nextInt(a.length)];
  }

  static <T> T pick(Random r, List<T> a) {
    return a.get(r.nextInt(a.size()));
  }

  static JsonNode pick(Random r, JsonNode array) {
    return array.get(r.nextInt(array.size()));
  }

  static String abbreviate(String s) {
    s = s.replaceAll("[a-z]+_[a-z_]*[0-9A-Za-z]{20,}", "<key-shaped>");
    return s.length() > 400 ? s.substring(0, 400) + "…(" + s.length() + " chars)" : s;
  }

  static String abbreviateMap(Map<String, String> m) {
    Map<String, String> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, abbreviate(v.replace(admin, "<admin token>"))));
    return out.toString();
  }
}
