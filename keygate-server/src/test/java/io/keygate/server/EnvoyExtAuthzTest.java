package io.keygate.server;

import static io.keygate.server.testing.EnvoyClient.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.keygate.server.config.GrpcConfig;
import io.keygate.server.http.Json;
import io.keygate.server.testing.EnvoyClient;
import io.keygate.server.testing.EnvoyClient.Answer;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy ext_authz over gRPC: real {@code CheckRequest}s over a real gRPC channel to a real node
 * (real SQLite) started with {@code KEYGATE_GRPC_PORT}.
 */
class EnvoyExtAuthzTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final int UNAUTHENTICATED = 16;
  private static final int PERMISSION_DENIED = 7;
  private static final int INVALID_ARGUMENT = 3;

  @TempDir Path dir;
  TestServer t;
  EnvoyClient envoy;
  String raw;
  String keyId;

  @BeforeEach
  void start() {
    t = servers.start(dir, c -> c, b -> b.grpc(new GrpcConfig(null, 0)));
    envoy = new EnvoyClient(t.server.grpcPort());
    JsonNode key = t.createKey("owner_id", "acme", "scopes", List.of("read", "write"));
    raw = key.path("api_key").asText();
    keyId = key.path("key_id").asText();
  }

  @AfterEach
  void stop() {
    envoy.close();
    t.close();
  }

  private Answer check(EnvoyClient.Check c) {
    return envoy.check(c.build());
  }

  /** {@code GET /x} from {@code sourceIp} presenting {@code key} in {@code X-API-Key}. */
  private static EnvoyClient.Check getWithKey(String sourceIp, String key) {
    return request("GET", "/x", sourceIp).header("X-API-Key", key);
  }

  private static void assertDenied(Answer a, int status, String code) {
    assertThat(a.allowed()).as("allowed").isFalse();
    assertThat(a.grpcCode()).as("gRPC code").isNotZero();
    assertThat(a.status()).as("HTTP status").isEqualTo(status);
    assertThat(a.header("X-Keygate-Error")).isEqualTo(code);
    assertThat(a.header("X-Keygate-Key-Id")).isNull();
    assertThat(a.header("Content-Type")).isEqualTo("application/json");
    assertThat(json(a.body()).path("error").asText()).isEqualTo(code);
  }

  private static JsonNode json(String body) {
    try {
      return Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + body, e);
    }
  }

  @Test
  void grpc_isOffUnlessAPortIsGiven() throws Exception {
    try (TestServer plain = servers.start(dir.resolve("plain"))) {
      assertThat(plain.server.grpcPort()).isEqualTo(GrpcConfig.OFF);
    }
  }

  @Test
  void validKey_inEitherHeader_isAllowedWithIdentityHeadersReplacingTheClients() {
    for (EnvoyClient.Check c :
        List.of(
            request("GET", "/orders?page=2", "203.0.113.5").header("X-API-Key", raw),
            request("POST", "/orders", "203.0.113.5").header("Authorization", "Bearer " + raw))) {
      Answer a = check(c.header("X-Keygate-Key-Id", "key_spoofed"));
      assertThat(a.allowed()).isTrue();
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.headers())
          .containsEntry("X-Keygate-Key-Id", keyId)
          .containsEntry("X-Keygate-Owner-Id", "acme")
          .containsEntry("X-Keygate-Key-Type", "live_secret")
          .containsEntry("X-Keygate-Scopes", "read,write");
      assertThat(a.overwrite()).as("identity headers overwrite the client's").isTrue();
      assertThat(a.removed()).isEmpty();
      assertThat(a.toString()).doesNotContain(raw);
    }
  }

  @Test
  void revokedKey_isDenied401WithChallenge() {
    t.post("/v1/keys/" + keyId + "/revoke", Map.of()).expect(200);
    Answer a = check(getWithKey("203.0.113.5", raw));
    assertDenied(a, 401, "key_revoked");
    assertThat(a.grpcCode()).isEqualTo(UNAUTHENTICATED);
    assertThat(a.header("WWW-Authenticate"))
        .isEqualTo(
            "Bearer realm=\"keygate\", error=\"invalid_token\","
                + " error_description=\"key_revoked\"");
    assertThat(json(a.body()).path("message").asText()).isNotBlank();
  }

  @Test
  void missingKey_isDenied401() {
    assertDenied(check(request("GET", "/x", "203.0.113.5")), 401, "missing_api_key");
  }

  @Test
  void wrongScope_fromTheRouteSettings_isDenied403_andClientHeadersCannotLowerIt() {
    Answer a =
        check(
            request("GET", "/admin", "203.0.113.5")
                .header("X-API-Key", raw)
                .header("X-Keygate-Required-Scopes", "read")
                .setting("scopes", "admin"));
    assertDenied(a, 403, "insufficient_scope");
    assertThat(a.grpcCode()).isEqualTo(PERMISSION_DENIED);
    assertThat(a.header("WWW-Authenticate")).isNull();
    assertThat(check(getWithKey("203.0.113.5", raw).setting("scopes_all", "read, admin")).status())
        .isEqualTo(403);
    assertThat(check(getWithKey("203.0.113.5", raw).setting("scopes", "admin,write")).allowed())
        .isTrue();
  }

  @Test
  void badCostSetting_isDenied400() {
    assertDenied(
        check(getWithKey("203.0.113.5", raw).setting("cost", "lots")), 400, "invalid_cost");
  }

  @Test
  void ipAllowlist_checksEnvoysSourceAddress_andXffOnlyThroughTrustedHops() {
    String k =
        t.createKey("owner_id", "acme", "ip_allowlist", List.of("10.0.0.0/8"))
            .path("api_key")
            .asText();
    assertThat(check(getWithKey("10.1.2.3", k)).allowed()).isTrue();
    assertDenied(check(getWithKey("192.0.2.7", k)), 403, "ip_not_allowed");
    // a client that talks to Envoy directly cannot choose its address with X-Forwarded-For
    assertDenied(
        check(getWithKey("192.0.2.7", k).header("X-Forwarded-For", "10.1.2.3")),
        403,
        "ip_not_allowed");
    // a trusted proxy in front of Envoy (loopback, by default) is believed
    assertThat(check(getWithKey("127.0.0.1", k).header("X-Forwarded-For", "10.1.2.3")).allowed())
        .isTrue();
  }

  @Test
  void untrustedGrpcPeer_isTheClient_whateverSourceItClaims() {
    envoy.close();
    t.close();
    t =
        servers.start(
            dir.resolve("untrusted"),
            c -> TestServer.withTrustedProxies(c, List.of("192.0.2.0/24")),
            b -> b.grpc(new GrpcConfig("127.0.0.1", 0)));
    envoy = new EnvoyClient(t.server.grpcPort());
    String k =
        t.createKey("owner_id", "acme", "ip_allowlist", List.of("10.0.0.0/8", "127.0.0.1"))
            .path("api_key")
            .asText();
    String loopbackOnly =
        t.createKey("owner_id", "acme", "ip_allowlist", List.of("10.0.0.0/8"))
            .path("api_key")
            .asText();
    assertThat(check(getWithKey("192.0.2.9", k)).allowed())
        .as("the peer 127.0.0.1 is the client")
        .isTrue();
    assertDenied(check(getWithKey("10.1.2.3", loopbackOnly)), 403, "ip_not_allowed");
  }

  @Test
  void rateLimited_isDenied429WithRetryAfterAndRateLimitHeaders() {
    String k =
        t.createKey(
                "owner_id",
                "acme",
                "rate_limits",
                List.of(Map.of("name", "tiny", "requests", 1, "window", 60)))
            .path("api_key")
            .asText();
    Answer first = check(getWithKey("203.0.113.5", k));
    assertThat(first.allowed()).isTrue();
    assertThat(first.clientHeaders())
        .containsEntry("RateLimit-Limit", "1")
        .containsEntry("RateLimit-Remaining", "0")
        .doesNotContainKey("X-Keygate-Key-Id");
    Answer second = check(getWithKey("203.0.113.5", k));
    assertDenied(second, 429, "rate_limited");
    assertThat(second.header("Retry-After")).matches("[1-9][0-9]*");
    assertThat(second.header("RateLimit-Remaining")).isEqualTo("0");
    assertThat(second.header("WWW-Authenticate")).isNull();
  }

  @Test
  void keyInTheUrl_isDenied403_inPathQueryAndEncodedForms_withoutEchoingIt() {
    String enc =
        URLEncoder.encode(URLEncoder.encode(raw, StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    for (String path :
        List.of(
            "/x?api_key=" + raw, "/keys/" + raw + "/x", "/x?t=" + enc, "/x?q=Bearer%20" + raw)) {
      Answer a = check(request("GET", path, "203.0.113.6").header("X-API-Key", raw));
      assertDenied(a, 403, "api_key_in_url");
      assertThat(a.toString()).doesNotContain(raw);
    }
    // Envoy may also report the query on its own
    Answer separate = check(getWithKey("203.0.113.6", raw).query("token=" + raw));
    assertDenied(separate, 403, "api_key_in_url");
  }

  @Test
  void missingOrGarbledRequestFields_areDenied400_neverAllowed() {
    assertDenied(envoy.check(CheckRequest.getDefaultInstance()), 400, "invalid_check_request");
    assertDenied(
        check(request("GET", null, "203.0.113.7").header("X-API-Key", raw)),
        400,
        "invalid_check_request");
    assertDenied(
        check(request(null, "/x", "203.0.113.7").header("X-API-Key", raw)),
        400,
        "invalid_check_request");
    assertDenied(
        check(request("GET", "/x", null).header("X-API-Key", raw)), 400, "invalid_check_request");
    assertDenied(check(getWithKey("not-an-ip", raw)), 400, "invalid_check_request");
    assertDenied(
        check(request("G T", "/x", "203.0.113.7").header("X-API-Key", raw)), 400, "invalid_method");
    for (String path : List.of("/a/%2e%2e/admin", "/a/..;/admin", "x", "/a%00b")) {
      assertDenied(
          check(request("GET", path, "203.0.113.7").header("X-API-Key", raw)), 400, "invalid_path");
    }
    assertThat(check(getWithKey("203.0.113.7", raw).setting("cost", "1")).allowed())
        .as("the same check, well formed, is allowed")
        .isTrue();
  }

  @Test
  void garbledHeaders_areDenied400() {
    assertDenied(
        check(request("GET", "/x", "203.0.113.8").header("X-API-Key", raw + "\r\nX-Admin: 1")),
        400,
        "invalid_check_request");
    assertDenied(
        check(request("GET", "/x", "203.0.113.8").header("Authorization", "Bearer " + raw + "\0")),
        400,
        "invalid_check_request");
    assertDenied(
        check(request("GET", "/x", "203.0.113.8").header("X Api Key", raw)),
        400,
        "invalid_check_request");
    assertDenied(
        check(
            request("GET", "/x", "203.0.113.8")
                .rawHeader("x-api-key", new byte[] {(byte) 0xC0, (byte) 0xAE})),
        400,
        "invalid_check_request");
    assertDenied(
        check(
            getWithKey("203.0.113.8", raw)
                .rawHeader("x-api-key", "sk_live_other".getBytes(StandardCharsets.UTF_8))),
        400,
        "invalid_check_request");
    // the raw form alone works like the map
    assertThat(
            check(
                    request("GET", "/x", "203.0.113.8")
                        .rawHeader("x-api-key", raw.getBytes(StandardCharsets.UTF_8)))
                .allowed())
        .isTrue();
  }

  @Test
  void repeatedKeyHeaders_joinedByEnvoy_areAnInvalidKey() {
    Answer a = check(request("GET", "/x", "203.0.113.9").header("X-API-Key", raw + "," + raw));
    assertDenied(a, 401, "invalid_key");
  }

  @Test
  void adminTokenPresentedAsKey_isRefusedAsAnInvalidKey() {
    for (String h : List.of("X-API-Key", "Authorization")) {
      Answer a =
          check(
              request("GET", "/x", "203.0.113.10")
                  .header(h, h.equals("Authorization") ? "Bearer " + t.adminToken : t.adminToken));
      assertDenied(a, 401, "invalid_key");
      assertThat(a.toString()).doesNotContain(t.adminToken);
    }
  }

  @Test
  void storeFault_isDenied503WithRetryAfter_notAllowed() {
    String uncached = t.createKey("owner_id", "acme").path("api_key").asText();
    t.server.keygate().store().close();
    Answer a = check(getWithKey("203.0.113.11", uncached));
    assertDenied(a, 503, "store_unavailable");
    assertThat(a.header("Retry-After")).isEqualTo("5");
  }
}
