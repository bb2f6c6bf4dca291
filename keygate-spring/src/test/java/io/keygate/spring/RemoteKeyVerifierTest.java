package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a real HTTP server on a random loopback port that plays Keygate's /v1/verify. */
class RemoteKeyVerifierTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "test-service-token";
  private static final String VALID =
      "{\"valid\":true,\"code\":\"valid\",\"message\":null,\"key_id\":\"key_1\","
          + "\"owner_id\":\"acme\",\"type\":\"live_secret\",\"scopes\":[\"read\"],"
          + "\"expires_at\":null,\"meta\":{},\"rate_limits\":[]}";

  private HttpServer server;
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicReference<String> answer = new AtomicReference<>(VALID);
  private final List<String> authHeaders = new CopyOnWriteArrayList<>();
  private final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
  private final AtomicLong nanos = new AtomicLong();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/v1/verify",
        ex -> {
          calls.incrementAndGet();
          authHeaders.add(ex.getRequestHeaders().getFirst("Authorization"));
          bodies.add(JSON.readTree(ex.getRequestBody().readAllBytes()));
          byte[] out = answer.get().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(status.get(), out.length);
          ex.getResponseBody().write(out);
          ex.close();
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  private RemoteKeyVerifier verifier(Duration ttl) {
    return RemoteKeyVerifier.builder()
        .url(url())
        .token(TOKEN)
        .cacheTtl(ttl)
        .ticker(nanos::get)
        .build();
  }

  private static KeyRequest req(String key, String ip, String... scopes) {
    return new KeyRequest(key, ip, List.of(scopes), "GET", "/api/data");
  }

  private static String refusal(String code) {
    return "{\"valid\":false,\"code\":\""
        + code
        + "\",\"message\":\"server says "
        + code
        + "\",\"key_id\":\"key_1\",\"owner_id\":\"acme\",\"type\":\"live_secret\","
        + "\"scopes\":[\"read\"],\"expires_at\":null,\"meta\":null}";
  }

  @Test
  void verify_valid_sendsTokenKeyIpAndScopes_andMapsThePrincipal() {
    String key = TestKeys.wellFormed();
    KeyVerdict v = verifier(Duration.ZERO).verify(req(key, "203.0.113.7", "read", "admin"));
    assertThat(v.valid()).isTrue();
    assertThat(v.principal())
        .isEqualTo(new KeygatePrincipal("key_1", "acme", "live_secret", List.of("read")));
    assertThat(authHeaders).containsExactly("Bearer " + TOKEN);
    JsonNode body = bodies.get(0);
    assertThat(body.get("key").asText()).isEqualTo(key);
    assertThat(body.get("ip").asText()).isEqualTo("203.0.113.7");
    assertThat(body.get("required_scopes")).hasSize(2);
  }

  @Test
  void verify_sendsMethodAndPath_forTheKeysOwnEndpointRules() {
    verifier(Duration.ZERO)
        .verify(new KeyRequest(TestKeys.wellFormed(), null, List.of(), "DELETE", "/api/data/7"));
    assertThat(bodies.get(0).get("method").asText()).isEqualTo("DELETE");
    assertThat(bodies.get(0).get("path").asText()).isEqualTo("/api/data/7");
    assertThat(bodies.get(0).has("ip")).isFalse();
  }

  @Test
  void verify_grantOfAKeyWithEndpointRules_isCachedForItsMethodAndPathOnly() {
    RemoteKeyVerifier v = verifier(Duration.ofSeconds(5));
    String key = TestKeys.wellFormed();
    answer.set(VALID.replace("\"scopes\":[\"read\"]", "\"scopes\":[\"GET /api/data/**\"]"));
    v.verify(new KeyRequest(key, "203.0.113.7", List.of(), "GET", "/api/data/1"));
    v.verify(new KeyRequest(key, "203.0.113.7", List.of(), "GET", "/api/data/1"));
    assertThat(calls).hasValue(1);
    answer.set(refusal("insufficient_scope"));
    assertThat(
            v.verify(new KeyRequest(key, "203.0.113.7", List.of(), "DELETE", "/api/data/1")).code())
        .isEqualTo("insufficient_scope");
    assertThat(v.verify(new KeyRequest(key, "203.0.113.7", List.of(), "GET", "/api/admin")).code())
        .isEqualTo("insufficient_scope");
    assertThat(calls).hasValue(3);
    // a key without rules is granted for any method and path
    String plain = TestKeys.wellFormed();
    answer.set(VALID);
    v.verify(new KeyRequest(plain, "203.0.113.7", List.of(), "GET", "/api/data/1"));
    assertThat(
            v.verify(new KeyRequest(plain, "203.0.113.7", List.of(), "POST", "/api/other")).valid())
        .isTrue();
    assertThat(calls).hasValue(4);
  }

  @Test
  void keyInUrl_postsTheUrlAsPathWithoutAKey_andIsNeverCached() {
    RemoteKeyVerifier v = verifier(Duration.ofSeconds(5));
    String leaked = TestKeys.wellFormed();
    answer.set(refusal("api_key_in_url").replace("\"key_id\":\"key_1\"", "\"key_id\":null"));
    for (int i = 0; i < 2; i++) {
      KeyVerdict r = v.keyInUrl("/api/data?token=" + leaked, "203.0.113.7");
      assertThat(r.code()).isEqualTo("api_key_in_url");
      assertThat(r.httpStatus()).isEqualTo(403);
    }
    assertThat(calls).hasValue(2);
    JsonNode body = bodies.get(0);
    assertThat(body.has("key")).isFalse();
    assertThat(body.get("path").asText()).isEqualTo("/api/data?token=" + leaked);
    assertThat(body.get("ip").asText()).isEqualTo("203.0.113.7");
    answer.set(refusal("rate_limited"));
    assertThat(v.keyInUrl("/x?k=" + leaked, "203.0.113.7").httpStatus()).isEqualTo(429);
    status.set(500);
    assertThatThrownBy(() -> v.keyInUrl("/x?k=" + leaked, "203.0.113.7"))
        .isInstanceOf(KeygateUnavailableException.class)
        .hasMessageNotContaining(leaked);
  }

  @Test
  void verify_validIsCachedForTheTtl_thenAskedAgain() {
    RemoteKeyVerifier v = verifier(Duration.ofSeconds(5));
    String key = TestKeys.wellFormed();
    v.verify(req(key, "203.0.113.7", "read"));
    v.verify(req(key, "203.0.113.7", "read"));
    assertThat(calls).hasValue(1);

    answer.set(refusal("key_revoked"));
    nanos.addAndGet(Duration.ofMillis(4_999).toNanos());
    assertThat(v.verify(req(key, "203.0.113.7", "read")).valid()).isTrue();
    nanos.addAndGet(Duration.ofMillis(2).toNanos());
    KeyVerdict after = v.verify(req(key, "203.0.113.7", "read"));
    assertThat(after.code()).isEqualTo("key_revoked");
    assertThat(after.httpStatus()).isEqualTo(401);
    assertThat(after.message()).isEqualTo("server says key_revoked");
    assertThat(calls).hasValue(2);
  }

  @Test
  void verify_validOfAMeteredKey_isNeverCached_soEveryRequestMeetsTheServersLimits() {
    RemoteKeyVerifier v = verifier(Duration.ofSeconds(5));
    String key = TestKeys.wellFormed();
    answer.set(
        VALID.replace(
            "\"rate_limits\":[]",
            "\"rate_limits\":[{\"name\":\"daily\",\"limit\":3,\"remaining\":2,\"reset\":60}]"));
    v.verify(req(key, "203.0.113.7", "read"));
    v.verify(req(key, "203.0.113.7", "read"));
    assertThat(calls).hasValue(2);
    answer.set(refusal("rate_limited"));
    KeyVerdict refused = v.verify(req(key, "203.0.113.7", "read"));
    assertThat(refused.code()).isEqualTo("rate_limited");
    assertThat(refused.httpStatus()).isEqualTo(429);
  }

  @Test
  void verify_validIsCachedPerClientIpAndScopes() {
    RemoteKeyVerifier v = verifier(Duration.ofSeconds(5));
    String key = TestKeys.wellFormed();
    v.verify(req(key, "203.0.113.7", "read", "admin"));
    v.verify(req(key, "203.0.113.7", "admin", "read"));
    assertThat(calls).hasValue(1);
    v.verify(req(key, "203.0.113.8", "read", "admin"));
    v.verify(req(key, "203.0.113.7", "write"));
    v.verify(req(TestKeys.wellFormed(), "203.0.113.7", "read", "admin"));
    assertThat(calls).hasValue(4);
  }

  @Test
  void verify_keyStateRefusalIsCachedForTheKeyWhateverTheContext() {
    RemoteKeyVerifier v = verifier(Duration.ofSeconds(5));
    String key = TestKeys.wellFormed();
    for (String code : List.of("key_revoked", "invalid_key", "key_expired", "key_disabled")) {
      answer.set(refusal(code));
      String k = TestKeys.wellFormed();
      v.verify(req(k, "203.0.113.7", "read"));
      assertThat(v.verify(req(k, "198.51.100.1", "write")).code()).isEqualTo(code);
    }
    assertThat(calls).hasValue(4);
    answer.set(refusal("key_revoked"));
    v.verify(req(key, "203.0.113.7"));
    assertThat(calls).hasValue(5);
  }

  @Test
  void verify_contextDependentRefusalsAreNeverCached() {
    RemoteKeyVerifier v = verifier(Duration.ofSeconds(5));
    String key = TestKeys.wellFormed();
    for (String code : List.of("ip_not_allowed", "insufficient_scope", "rate_limited")) {
      answer.set(refusal(code));
      KeyVerdict first = v.verify(req(key, "203.0.113.7", "read"));
      assertThat(first.code()).isEqualTo(code);
      v.verify(req(key, "203.0.113.7", "read"));
    }
    assertThat(calls).hasValue(6);
  }

  @Test
  void verify_ttlZero_asksEveryTime() {
    RemoteKeyVerifier v = verifier(Duration.ZERO);
    String key = TestKeys.wellFormed();
    v.verify(req(key, "203.0.113.7"));
    v.verify(req(key, "203.0.113.7"));
    assertThat(calls).hasValue(2);
  }

  @Test
  void verify_malformedKey_isRefusedOfflineWithoutACall() {
    KeyVerdict v = verifier(Duration.ZERO).verify(req("sk_live_not-a-real-key", "203.0.113.7"));
    assertThat(v.code()).isEqualTo("invalid_key");
    assertThat(v.httpStatus()).isEqualTo(401);
    assertThat(calls).hasValue(0);
  }

  @Test
  void verify_tokenRefusedByServer_isUnavailableWithAHint() {
    status.set(403);
    answer.set(
        "{\"error\":\"forbidden\",\"message\":\"the admin token lacks the scope 'verify'\"}");
    String key = TestKeys.wellFormed();
    assertThatThrownBy(() -> verifier(Duration.ZERO).verify(req(key, "203.0.113.7")))
        .isInstanceOf(KeygateUnavailableException.class)
        .hasMessageContaining("HTTP 403 (forbidden)")
        .hasMessageContaining("'verify' scope")
        .hasMessageNotContaining(key)
        .hasMessageNotContaining(TOKEN);
  }

  @Test
  void verify_serverDown_isUnavailable() {
    RemoteKeyVerifier v = verifier(Duration.ofSeconds(5));
    server.stop(0);
    String key = TestKeys.wellFormed();
    assertThatThrownBy(() -> v.verify(req(key, "203.0.113.7")))
        .isInstanceOf(KeygateUnavailableException.class)
        .hasMessageContaining("did not answer")
        .hasMessageNotContaining(key);
  }

  @Test
  void urlPasswords_neverAppearInErrors() {
    String pw = "Hunter2-spring-9";
    RemoteKeyVerifier v =
        RemoteKeyVerifier.builder()
            .url(URI.create("http://svc:" + pw + "@127.0.0.1:1/"))
            .token(TOKEN)
            .cacheTtl(Duration.ZERO)
            .build();
    assertThatThrownBy(() -> v.verify(req(TestKeys.wellFormed(), null)))
        .isInstanceOf(KeygateUnavailableException.class)
        .hasMessageContaining("svc:****@")
        .hasMessageNotContaining(pw);
    assertThatThrownBy(() -> RemoteKeyVerifier.builder().url(URI.create("ftp://svc:" + pw + "@x/")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining(pw);
    KeygateProperties p = new KeygateProperties();
    p.setUrl(URI.create("https://svc:" + pw + "@keygate.internal"));
    p.setDatabaseUrl("postgres://kg:" + pw + "@db/keygate?sslpassword=" + pw);
    assertThat(p.toString()).doesNotContain(pw);
    p.setMode(KeygateProperties.Mode.EMBEDDED);
    assertThat(p.toString()).doesNotContain(pw).contains("kg:****@db");
  }

  @Test
  void verify_malformedAnswer_isUnavailable() {
    answer.set("<html>proxy error</html>");
    assertThatThrownBy(() -> verifier(Duration.ZERO).verify(req(TestKeys.wellFormed(), null)))
        .isInstanceOf(KeygateUnavailableException.class);
    answer.set("{\"valid\":true,\"code\":\"valid\"}");
    assertThatThrownBy(() -> verifier(Duration.ZERO).verify(req(TestKeys.wellFormed(), null)))
        .isInstanceOf(KeygateUnavailableException.class)
        .hasMessageContaining("without key_id");
  }

  @Test
  void verify_unknownCode_isRefusedWith403AndTheServersMessage() {
    answer.set("{\"valid\":false,\"code\":\"credits_frozen\",\"message\":\"frozen\"}");
    KeyVerdict v = verifier(Duration.ZERO).verify(req(TestKeys.wellFormed(), null));
    assertThat(v.code()).isEqualTo("credits_frozen");
    assertThat(v.httpStatus()).isEqualTo(403);
    assertThat(v.message()).isEqualTo("frozen");
  }

  @Test
  void builder_failsFast() {
    assertThatThrownBy(() -> RemoteKeyVerifier.builder().token(TOKEN).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("keygate.url");
    assertThatThrownBy(() -> RemoteKeyVerifier.builder().url(url()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("keygate.token");
    assertThatThrownBy(() -> RemoteKeyVerifier.builder().url(URI.create("ftp://x/")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RemoteKeyVerifier.builder().token(" "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RemoteKeyVerifier.builder().cacheTtl(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(
            RemoteKeyVerifier.builder()
                .url(URI.create("http://127.0.0.1:8080/keygate/"))
                .token(TOKEN)
                .build()
                .endpoint())
        .hasToString("http://127.0.0.1:8080/keygate/v1/verify");
  }
}
