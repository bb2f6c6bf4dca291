package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input never yields a 500 or HTML: every refusal is JSON with a precise error code. */
class HttpApiTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String JSON = "application/json";

  @TempDir static Path dir;
  static TestServer t;
  static String keyId;

  @BeforeAll
  static void start() {
    t = servers.start(dir);
    keyId = t.createKey("owner_id", "acme").path("key_id").asText();
  }

  static Stream<Arguments> badRequests() {
    String big = "{\"owner_id\":\"a\",\"name\":\"" + "x".repeat(70_000) + "\"}";
    return Stream.of(
        // case, method, path, content type, body, status, error
        row(
            "unknown field",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"colour\":1}",
            400,
            "unknown_field"),
        row(
            "wrong type: string",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":5}",
            400,
            "invalid_field"),
        row(
            "wrong type: array",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"scopes\":\"read\"}",
            400,
            "invalid_field"),
        row(
            "wrong type: int",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"expires_in_days\":\"30\"}",
            400,
            "invalid_field"),
        row(
            "float for int",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"expires_in_days\":1.5}",
            400,
            "invalid_field"),
        row(
            "bool for string",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":true}",
            400,
            "invalid_field"),
        row("malformed JSON", "POST", "/v1/keys", JSON, "{\"owner_id\":", 400, "invalid_json"),
        row(
            "trailing tokens",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\"} {}",
            400,
            "invalid_json"),
        row("null body", "POST", "/v1/keys", JSON, "null", 400, "invalid_json"),
        row("array body", "POST", "/v1/keys", JSON, "[]", 400, "invalid_field"),
        row("string body", "POST", "/v1/keys", JSON, "\"hi\"", 400, "invalid_field"),
        row(
            "deep nesting",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"meta\":{\"x\":" + "[".repeat(100) + "]".repeat(100) + "}}",
            400,
            "invalid_json"),
        row("missing owner", "POST", "/v1/keys", JSON, "{}", 400, "invalid_owner_id"),
        row(
            "bad owner",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a b\"}",
            400,
            "invalid_owner_id"),
        row(
            "unknown type",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"type\":\"gold\"}",
            400,
            "invalid_key_type"),
        row(
            "bad scope",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"scopes\":[\"a b\"]}",
            400,
            "invalid_scopes"),
        row(
            "null scope",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"scopes\":[null]}",
            400,
            "invalid_scopes"),
        row(
            "bad cidr",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"ip_allowlist\":[\"10.0.0.0/33\"]}",
            400,
            "invalid_ip_allowlist"),
        row(
            "hostname in allowlist",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"ip_allowlist\":[\"example.com\"]}",
            400,
            "invalid_ip_allowlist"),
        row(
            "rate limit incomplete",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"rate_limit\":{\"requests\":5}}",
            400,
            "invalid_rate_limit"),
        row(
            "rate limit negative",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"rate_limit\":{\"requests\":-5,\"window\":60}}",
            400,
            "invalid_rate_limit"),
        row(
            "expiry zero",
            "POST",
            "/v1/keys",
            JSON,
            "{\"owner_id\":\"a\",\"expires_in_days\":0}",
            400,
            "invalid_expiry"),
        row(
            "wrong content type",
            "POST",
            "/v1/keys",
            "text/plain",
            "{\"owner_id\":\"a\"}",
            415,
            "unsupported_media_type"),
        row(
            "form content type",
            "POST",
            "/v1/keys",
            "application/x-www-form-urlencoded",
            "owner_id=a",
            415,
            "unsupported_media_type"),
        row(
            "verify: null in a scope list",
            "POST",
            "/v1/verify",
            JSON,
            "{\"key\":\"x\",\"required_scopes\":[\"read\",null]}",
            400,
            "invalid_scopes"),
        row(
            "unknown charset",
            "POST",
            "/v1/keys",
            "application/json; charset=nope",
            "{\"owner_id\":\"a\"}",
            415,
            "unsupported_media_type"),
        row(
            "non-UTF-8 charset",
            "POST",
            "/v1/keys",
            "application/json; charset=ISO-8859-1",
            "{\"owner_id\":\"a\"}",
            415,
            "unsupported_media_type"),
        row(
            "no content type",
            "POST",
            "/v1/keys",
            null,
            "{\"owner_id\":\"a\"}",
            415,
            "unsupported_media_type"),
        row("body over limit", "POST", "/v1/keys", JSON, big, 413, "payload_too_large"),
        row(
            "verify: wrong type",
            "POST",
            "/v1/verify",
            JSON,
            "{\"key\":[1]}",
            400,
            "invalid_field"),
        row(
            "verify: unknown field",
            "POST",
            "/v1/verify",
            JSON,
            "{\"api_key\":\"x\"}",
            400,
            "unknown_field"),
        row(
            "rotate: negative grace",
            "POST",
            "/v1/keys/{id}/rotate",
            JSON,
            "{\"grace_period_hours\":-1}",
            400,
            "invalid_grace_period"),
        row(
            "rotate: string grace",
            "POST",
            "/v1/keys/{id}/rotate",
            JSON,
            "{\"grace_period_hours\":\"2\"}",
            400,
            "invalid_field"),
        row(
            "revoke: long reason",
            "POST",
            "/v1/keys/{id}/revoke",
            JSON,
            "{\"reason\":\"" + "r".repeat(501) + "\"}",
            400,
            "invalid_reason"),
        row(
            "patch: unknown field",
            "PATCH",
            "/v1/keys/{id}",
            JSON,
            "{\"owner_id\":\"b\"}",
            400,
            "unknown_field"),
        row("unknown route", "GET", "/v2/keys", null, null, 404, "not_found"),
        row("unknown nested route", "GET", "/v1/keys/{id}/secret", null, null, 404, "not_found"),
        row("wrong method", "DELETE", "/v1/keys", null, null, 405, "method_not_allowed"),
        row("wrong method on key", "PUT", "/v1/keys/{id}", JSON, "{}", 405, "method_not_allowed"),
        row("wrong method on health", "POST", "/healthz", null, null, 405, "method_not_allowed"),
        row("bad limit", "GET", "/v1/keys?limit=ten", null, null, 400, "invalid_limit"),
        row("negative limit", "GET", "/v1/keys?limit=-1", null, null, 400, "invalid_limit"),
        row("huge limit", "GET", "/v1/keys?limit=99999999999", null, null, 400, "invalid_limit"),
        row("bad status", "GET", "/v1/keys?status=gone", null, null, 400, "invalid_status"),
        row(
            "bad cursor",
            "GET",
            "/v1/keys?cursor=%3D%3Dnot-a-cursor",
            null,
            null,
            400,
            "invalid_cursor"),
        row("bad audit cursor", "GET", "/v1/audit?cursor=abc", null, null, 400, "invalid_cursor"),
        row("bad audit limit", "GET", "/v1/audit?limit=501", null, null, 400, "invalid_limit"),
        row("key id: wrong prefix", "GET", "/v1/keys/abc", null, null, 404, "not_found"),
        row(
            "key id: too long",
            "GET",
            "/v1/keys/key_" + "a".repeat(200),
            null,
            null,
            404,
            "not_found"),
        row("key id: encoded slash", "GET", "/v1/keys/key_a%2Fb", null, null, 404, "not_found"),
        row("key id: unicode", "GET", "/v1/keys/key_%C3%A9", null, null, 404, "not_found"),
        row(
            "key id: sql",
            "POST",
            "/v1/keys/key_x'%20OR%20'1'='1/revoke",
            JSON,
            "{}",
            404,
            "not_found"));
  }

  private static Arguments row(
      String name, String method, String path, String type, String body, int status, String code) {
    return Arguments.of(name, method, path, type, body, status, code);
  }

  @ParameterizedTest(name = "{0} -> {5} {6}")
  @MethodSource("badRequests")
  void badInput_isAJsonErrorWithAPreciseCode(
      String name, String method, String path, String type, String body, int status, String code) {
    TestServer.Req r = t.req(method, path.replace("{id}", keyId));
    if (body != null) {
      r.body(body, type);
    }
    TestServer.Response res = r.send();

    assertThat(res.status()).as("%s: %s", name, res.body()).isEqualTo(status);
    assertThat(res.header("Content-Type")).startsWith("application/json");
    JsonNode e = res.json();
    assertThat(e.path("error").asText()).as(name).isEqualTo(code);
    assertThat(e.path("message").asText()).as(name).isNotBlank();
    assertThat(res.body()).doesNotContain("Exception").doesNotContain("<html");
  }

  static Stream<Arguments> malformedRawRequests() {
    String hugeHeader = "X-Big: " + "a".repeat(20_000) + "\r\n";
    return Stream.of(
        Arguments.of(
            "huge header", "GET /healthz HTTP/1.1\r\n" + hugeHeader, 431, "headers_too_large"),
        Arguments.of(
            "huge URI",
            "GET /healthz?x=" + "a".repeat(20_000) + " HTTP/1.1\r\n",
            414,
            "uri_too_long"),
        Arguments.of("bad percent-encoding", "GET /v1/keys/%ZZ HTTP/1.1\r\n", 400, "bad_request"),
        Arguments.of("encoded NUL", "GET /v1/keys/%00 HTTP/1.1\r\n", 400, "bad_request"));
  }

  @ParameterizedTest(name = "{0} -> {2} {3}")
  @MethodSource("malformedRawRequests")
  void requestsJettyRefusesBeforeRouting_areJsonToo(
      String name, String requestHead, int status, String code) {
    TestServer.Response res = t.raw(requestHead + "Host: localhost\r\nConnection: close\r\n\r\n");

    assertThat(res.status()).as(name).isEqualTo(status);
    assertThat(res.header("Content-Type")).startsWith("application/json");
    assertThat(res.json().path("error").asText()).isEqualTo(code);
    assertThat(res.json().path("message").asText()).isNotBlank();
  }

  @Test
  void emptyBody_countsAsEmptyObject() {
    assertThat(t.req("POST", "/v1/keys/" + keyId + "/disable").send().status()).isEqualTo(200);
    assertThat(t.req("POST", "/v1/keys").send().expect(400).path("error").asText())
        .isEqualTo("invalid_owner_id");
  }

  @Test
  void responses_carrySecurityHeaders() {
    TestServer.Response r = t.get("/v1/keys/" + keyId);
    assertThat(r.header("Cache-Control")).isEqualTo("no-store");
    assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
  }
}
