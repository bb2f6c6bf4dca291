package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route that reads a JSON body reads it one way only: a field given twice is refused (not
 * "last one wins"), a Content-Type that is not exactly JSON is refused, and a body that does not
 * parse is refused without echoing any of it (a key pasted into a malformed body must not come back
 * in the error, which clients and proxies log).
 */
class RequestStrictnessTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir static Path dir;
  static TestServer t;
  static String keyId;
  static String rawKey;

  /** A route with a JSON body and a valid body for it; {@code {id}} is an existing key id. */
  record Route(String method, String path, String validBody) {
    String target() {
      return path.replace("{id}", keyId);
    }
  }

  static List<Route> jsonRoutes() {
    return List.of(
        new Route("POST", "/v1/keys", "{\"owner_id\":\"acme\"}"),
        new Route("PATCH", "/v1/keys/{id}", "{\"name\":\"n\"}"),
        new Route("POST", "/v1/keys/{id}/revoke", "{\"reason\":\"r\"}"),
        new Route("POST", "/v1/keys/{id}/rotate", "{\"grace_period_hours\":1}"),
        new Route("POST", "/v1/verify", "{\"key\":\"x\"}"),
        new Route("POST", "/v1/canaries", "{\"owner_id\":\"acme\"}"),
        new Route("POST", "/v1/owners", "{\"owner_id\":\"o1\",\"name\":\"n\"}"),
        new Route("PATCH", "/v1/owners/acme", "{\"name\":\"n\"}"),
        new Route("POST", "/v1/leaks/reports?format=keygate", "{\"findings\":[]}"),
        new Route("POST", "/v1/leaks/reports?format=gitleaks", "[]"));
  }

  @BeforeAll
  static void start() {
    t = servers.start(dir);
    JsonNode k = t.createKey("owner_id", "acme");
    keyId = k.path("key_id").asText();
    rawKey = k.path("api_key").asText();
    t.post("/v1/owners", TestServer.map("owner_id", "acme", "name", "Acme")).expect(201);
  }

  private static TestServer.Response send(Route r, String body, String type) {
    return t.req(r.method(), r.target()).body(body, type).send();
  }

  @Test
  void duplicateField_isRefusedOnEveryJsonRoute_topLevelAndNested() {
    List<String> failures = new ArrayList<>();
    for (Route r : jsonRoutes()) {
      String body = r.validBody();
      List<String> bodies = new ArrayList<>();
      if (body.startsWith("{")) {
        String first =
            body.substring(1, body.indexOf(',') > 0 ? body.indexOf(',') : body.length() - 1);
        bodies.add("{" + first + "," + body.substring(1)); // the first field twice
        if (r.path().startsWith("/v1/keys") && !r.path().contains("/re")) { // bodies with meta
          bodies.add("{\"meta\":{\"a\":1,\"a\":2}," + body.substring(1)); // nested
        }
      } else {
        bodies.add("[{\"Secret\":\"x\",\"Secret\":\"y\"}]");
      }
      for (String b : bodies) {
        TestServer.Response res = send(r, b, "application/json");
        JsonNode e = res.json();
        boolean refused =
            res.status() == 400
                && (e.path("error").asText().equals("duplicate_field")
                    || e.path("message").asText().contains("more than once"));
        if (!refused) {
          failures.add(
              r.method() + " " + r.path() + " " + b + " -> " + res.status() + " " + res.body());
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void duplicateField_onTheVerifyFastPath_andWithEscapes_isRefusedLikeTheMapper() {
    for (String body :
        List.of(
            "{\"key\":\"" + rawKey + "\",\"key\":\"x\"}",
            "{\"key\":\"x\",\"ip\":\"1.2.3.4\",\"key\":\"" + rawKey + "\"}",
            "{\"key\":\"a\\u0062\",\"key\":\"b\"}",
            "{\"ip\":\"1.2.3.4\",\"cost\":1,\"cost\":2}",
            "{\"required_scopes\":[\"a\"],\"required_scopes\":[\"b\"]}",
            "{\"k\\u0065y\":\"a\",\"key\":\"b\"}")) {
      TestServer.Response res = t.req("POST", "/v1/verify").body(body, "application/json").send();
      assertThat(res.status()).as(body).isEqualTo(400);
      assertThat(res.json().path("error").asText()).as(body).isEqualTo("duplicate_field");
      assertThat(res.body()).as(body).doesNotContain(rawKey);
    }
  }

  @Test
  void duplicateField_inAnImportLine_refusesTheImport() {
    String sha = "ab".repeat(32);
    TestServer.Response res =
        t.req("POST", "/v1/keys/import")
            .body(
                "{\"sha256\":\"" + sha + "\",\"owner_id\":\"a\",\"owner_id\":\"b\"}\n",
                "application/x-ndjson")
            .send();
    JsonNode lines = res.expect(400).path("lines");
    assertThat(res.json().path("error").asText()).isEqualTo("invalid_import");
    assertThat(lines.get(0).path("error").asText()).isEqualTo("duplicate_field");
  }

  @Test
  void contentTypeNotExactlyJson_isRefused415_onEveryJsonRoute_andExactSpellingsPass() {
    List<String> refused =
        List.of(
            "text/plain",
            "text/json",
            "application/jsonx",
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/vnd.api+json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=us-ascii",
            "application/json; charset=utf-16",
            "application/json; foo=bar",
            "application/json; charset=utf-8; boundary=x",
            "application/json, text/plain",
            "*/*",
            ";;;",
            ";",
            "; charset=utf-8",
            "");
    List<String> failures = new ArrayList<>();
    for (Route r : jsonRoutes()) {
      for (String type : refused) {
        TestServer.Response res = send(r, r.validBody(), type.isEmpty() ? null : type);
        if (res.status() != 415
            || !res.json().path("error").asText().equals("unsupported_media_type")) {
          failures.add(r.method() + " " + r.path() + " [" + type + "] -> " + res.status());
        }
      }
      for (String type :
          List.of(
              "application/json",
              "Application/JSON",
              "application/json;charset=utf-8",
              "application/json; charset=\"UTF-8\"")) {
        TestServer.Response res = send(r, r.validBody(), type);
        if (res.status() == 415 || res.status() >= 500) {
          failures.add(r.method() + " " + r.path() + " [" + type + "] refused: " + res.status());
        }
      }
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void twoContentTypeHeaders_areRefused_evenWhenOneIsJson() {
    String verify = "{\"key\":\"" + rawKey + "\"}";
    for (String[] route :
        List.of(
            new String[] {"/v1/keys", "{\"owner_id\":\"acme\"}"},
            new String[] {"/v1/verify", verify})) {
      for (String[] types :
          List.of(
              new String[] {"application/json", "text/plain"},
              new String[] {"text/plain", "application/json"},
              new String[] {"application/json", "application/json"})) {
        String raw =
            "POST "
                + route[0]
                + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + t.adminToken
                + "\r\nContent-Type: "
                + types[0]
                + "\r\nContent-Type: "
                + types[1]
                + "\r\nContent-Length: "
                + route[1].getBytes(StandardCharsets.UTF_8).length
                + "\r\nConnection: close\r\n\r\n"
                + route[1];
        TestServer.Response res = t.raw(raw);
        assertThat(res.status()).as(route[0] + " " + String.join(", ", types)).isEqualTo(415);
      }
    }
  }

  @Test
  void jsonLinesRoutes_takeNdjsonOrJson_andNothingElse() {
    String line = "{\"sha256\":\"" + "cd".repeat(32) + "\",\"owner_id\":\"a\"}\n";
    for (String type : List.of("application/x-ndjson", "application/json")) {
      assertThat(t.req("POST", "/v1/keys/import").body(line, type).send().status())
          .as(type)
          .isEqualTo(200);
    }
    for (String type :
        List.of("text/plain", "application/x-www-form-urlencoded", "application/jsonl+json")) {
      assertThat(t.req("POST", "/v1/keys/import").body(line, type).send().status())
          .as(type)
          .isEqualTo(415);
      assertThat(
              t.req("POST", "/v1/leaks/reports?format=trufflehog")
                  .body("{}\n", type)
                  .send()
                  .status())
          .as(type)
          .isEqualTo(415);
    }
    assertThat(
            t.req("POST", "/v1/leaks/reports?format=trufflehog")
                .body("{\"Raw\":\"nothing\"}\n", "application/x-ndjson")
                .send()
                .status())
        .isEqualTo(200);
  }

  @Test
  void malformedBody_errorNamesThePositionButNeverEchoesTheInput() {
    String k = rawKey;
    List<String> bodies =
        List.of(
            "{\"owner_id\": " + k + "}",
            "{\"owner_id\": \"a\" " + k + "}",
            "{" + k + ": 1}",
            "{\"" + k + "\": 1, \"" + k + "\": 2}",
            "[\"" + k,
            "{\"owner_id\": \"" + k + "\\x\"}",
            "{\"owner_id\": tru" + k + "}",
            "{\"owner_id\": 1" + k + "}",
            "{\"owner_id\": \"a\"} " + k,
            "{\"meta\": {\"" + k + "\": 1, \"" + k + "\": 1}}");
    List<String> failures = new ArrayList<>();
    for (Route r : jsonRoutes()) {
      for (String b : bodies) {
        TestServer.Response res = send(r, b, "application/json");
        if (res.status() != 400 || echoes(res.body(), k)) {
          failures.add(r.method() + " " + r.path() + " " + res.status() + " " + res.body());
        }
      }
    }
    for (String b : bodies) {
      TestServer.Response res =
          t.req("POST", "/v1/leaks/reports?format=trufflehog")
              .body(b + "\n", "application/x-ndjson")
              .send();
      if (echoes(res.body(), k)) {
        failures.add("trufflehog " + res.body());
      }
      TestServer.Response imp =
          t.req("POST", "/v1/keys/import").body(b + "\n", "application/x-ndjson").send();
      if (echoes(imp.body(), k)) {
        failures.add("import " + imp.body());
      }
    }
    assertThat(failures).isEmpty();
    JsonNode e =
        t.req("POST", "/v1/keys")
            .body("{\"owner_id\": " + k + "}", "application/json")
            .send()
            .json();
    assertThat(e.path("error").asText()).isEqualTo("invalid_json");
    assertThat(e.path("message").asText()).contains("at line 1, column");
  }

  @Test
  void aKeyPastedIntoAnyFieldOfAValidBody_isNeverEchoedByTheValidationError() {
    List<String> bodies =
        List.of(
            "{\"owner_id\":\"acme\",\"type\":\"" + rawKey + "\"}",
            "{\"owner_id\":\"acme\",\"scopes\":[\"GET " + rawKey + "\"]}",
            "{\"owner_id\":\"acme\",\"ip_allowlist\":[\"" + rawKey + "\"]}",
            "{\"owner_id\":\"acme\",\"rate_limit\":{\"limit\":\"" + rawKey + "\"}}");
    for (String b : bodies) {
      TestServer.Response res = t.req("POST", "/v1/keys").body(b, "application/json").send();
      assertThat(res.status()).as(b).isBetween(400, 499);
      assertThat(echoes(res.body(), rawKey)).as(res.body()).isFalse();
    }
    TestServer.Response imp =
        t.req("POST", "/v1/keys/import")
            .body(
                "{\"sha256\":\""
                    + "ef".repeat(32)
                    + "\",\"owner_id\":\"a\",\"type\":\""
                    + rawKey
                    + "\"}\n",
                "application/x-ndjson")
            .send();
    assertThat(imp.json().path("lines")).hasSize(1);
    assertThat(echoes(imp.body(), rawKey)).as(imp.body()).isFalse();
  }

  /** Whether {@code body} holds the key or any 12-character piece of its random part. */
  private static boolean echoes(String body, String key) {
    String random = key.substring(key.lastIndexOf('_') + 1);
    for (int i = 0; i + 12 <= random.length(); i++) {
      if (body.contains(random.substring(i, i + 12))) {
        return true;
      }
    }
    return false;
  }
}
