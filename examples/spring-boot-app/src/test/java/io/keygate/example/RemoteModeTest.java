package io.keygate.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.events.EventTypes;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.model.RateLimit;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example app in remote mode against a real Keygate server started in-process on a random port,
 * over real HTTP: 401 (no key, invalid key, revoked key), 403 (scope, key in URL, IP not allowed),
 * 200/201 with the key id echoed, and 503 when the server goes away.
 *
 * <p>The cache TTL is 0 so a revocation is seen on the next request; with the default 5 s it would
 * be seen within 5 s (the documented staleness bound).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteModeTest {
  private static Path dataDir;
  private static KeygateServer server;
  private static String serviceToken;

  @DynamicPropertySource
  static void keygate(DynamicPropertyRegistry registry) throws IOException {
    dataDir = Files.createTempDirectory("keygate-example-remote");
    server =
        KeygateServer.builder()
            .config(ServerConfig.defaults().withStorage(dataDir, null).withNetwork("127.0.0.1", 0))
            .build();
    server.start();
    serviceToken =
        server
            .keygate()
            .adminTokens()
            .create(null, List.of("verify"), "example", null, Actor.SYSTEM)
            .secret()
            .reveal();
    registry.add("keygate.url", () -> "http://127.0.0.1:" + server.port());
    registry.add("keygate.token", () -> serviceToken);
    registry.add("keygate.cache-ttl", () -> "0");
    registry.add("keygate.trusted-proxies", () -> "127.0.0.1/32,::1/128");
  }

  @AfterAll
  static void stopServer() throws IOException {
    server.close();
    TempDirs.delete(dataDir);
  }

  @LocalServerPort int port;

  private Http http() {
    return new Http(port);
  }

  private static CreatedKey key(List<String> scopes, List<String> ipAllowlist) {
    return server
        .keygate()
        .keys()
        .create(
            new CreateKey(null, "acme", "example", scopes, ipAllowlist, null, 30, null),
            Actor.SYSTEM);
  }

  private static String secret(CreatedKey k) {
    return k.secret().reveal();
  }

  @Test
  void publicEndpoint_needsNoKey() throws Exception {
    Http.Answer a = http().get("/public", null);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body().get("status").asText()).isEqualTo("ok");
  }

  @Test
  void noKey_is401MissingApiKey_fromPathRuleAndFromAnnotation() throws Exception {
    Http.Answer rule = http().get("/api/data", null);
    assertThat(rule.error()).isEqualTo("401 missing_api_key");
    assertThat(rule.raw().headers().firstValue("WWW-Authenticate"))
        .hasValue("Bearer realm=\"keygate\"");
    assertThat(http().get("/api/admin", null).error()).isEqualTo("401 missing_api_key");
  }

  @Test
  void invalidKey_is401InvalidKeyWithBearerChallenge() throws Exception {
    String unknown = secret(key(List.of("read"), null));
    String lookAlike =
        unknown.substring(0, unknown.length() - 1) + (unknown.endsWith("x") ? "y" : "x");
    for (String k : List.of(lookAlike, "not-a-key")) {
      Http.Answer a = http().get("/api/data", k);
      assertThat(a.error()).isEqualTo("401 invalid_key");
      assertThat(a.raw().headers().firstValue("WWW-Authenticate"))
          .hasValue("Bearer realm=\"keygate\", error=\"invalid_token\"");
      assertThat(a.raw().body()).doesNotContain(k);
    }
  }

  @Test
  void revokedKey_is401KeyRevoked_onTheNextRequest() throws Exception {
    CreatedKey k = key(List.of("read"), null);
    assertThat(http().get("/api/data", secret(k)).status()).isEqualTo(200);
    server.keygate().keys().revoke(k.record().keyId(), "leaked in a log", Actor.SYSTEM);
    assertThat(http().get("/api/data", secret(k)).error()).isEqualTo("401 key_revoked");
  }

  @Test
  void validKeys_are200WithTheirKeyIdEchoed() throws Exception {
    CreatedKey reader = key(List.of("read"), null);
    CreatedKey writer = key(List.of("write"), null);
    CreatedKey admin = key(List.of("admin"), null);
    assertThat(http().get("/api/data", secret(reader)).keyId())
        .isEqualTo("200 " + reader.record().keyId());
    Http.Answer bearer =
        http()
            .send(
                "POST",
                "/api/data",
                Map.of("Authorization", "Bearer " + secret(writer)),
                "{\"name\":\"gamma\"}");
    assertThat(bearer.keyId()).isEqualTo("201 " + writer.record().keyId());
    assertThat(bearer.body().at("/created/name").asText()).isEqualTo("gamma");
    assertThat(http().get("/api/admin", secret(admin)).keyId())
        .isEqualTo("200 " + admin.record().keyId());
    assertThat(http().get("/api/data", secret(admin)).keyId())
        .isEqualTo("200 " + admin.record().keyId());
  }

  @Test
  void rateLimitedKey_is429_onceItsLimitIsSpent() throws Exception {
    CreatedKey k =
        server
            .keygate()
            .keys()
            .create(
                new CreateKey(
                    null,
                    "acme",
                    "metered",
                    List.of("read"),
                    null,
                    List.of(new RateLimit("daily", 3, Duration.ofDays(1))),
                    30,
                    null),
                Actor.SYSTEM);
    for (int i = 0; i < 3; i++) {
      assertThat(http().get("/api/data", secret(k)).keyId()).isEqualTo("200 " + k.record().keyId());
    }
    Http.Answer refused = http().get("/api/data", secret(k));
    assertThat(refused.error()).isEqualTo("429 rate_limited");
    assertThat(refused.raw().body()).doesNotContain(secret(k));
  }

  @Test
  void insufficientScope_is403() throws Exception {
    CreatedKey reader = key(List.of("read"), null);
    Http.Answer post = http().send("POST", "/api/data", Map.of("X-API-Key", secret(reader)), "{}");
    assertThat(post.error()).isEqualTo("403 insufficient_scope");
    assertThat(post.raw().headers().firstValue("WWW-Authenticate")).isEmpty();
    assertThat(http().get("/api/admin", secret(reader)).error())
        .isEqualTo("403 insufficient_scope");
  }

  @Test
  void keyInUrl_is403ApiKeyInUrl() throws Exception {
    CreatedKey reader = key(List.of("read"), null);
    Http.Answer a = http().get("/api/data?api_key=" + secret(reader), null);
    assertThat(a.error()).isEqualTo("403 api_key_in_url");
    assertThat(a.raw().body()).doesNotContain(secret(reader));
    assertThat(http().get("/public?token=" + secret(reader), secret(reader)).error())
        .isEqualTo("403 api_key_in_url");
    assertThat(http().get("/public/" + secret(reader), null).error())
        .isEqualTo("403 api_key_in_url");
    // reported to the server: the owner is told (once per key)
    server.keygate().flushUsage();
    assertThat(server.keygate().store().outbox("acme", reader.record().keyId(), 10))
        .filteredOn(e -> e.type().equals(EventTypes.KEY_EXPOSED_IN_URL))
        .hasSize(1);
  }

  @Test
  void keysOwnEndpointRules_areCheckedByTheServer_onTheMethodAndPathTheFilterSends()
      throws Exception {
    CreatedKey k = key(List.of("read", "write", "GET /api/data"), null);
    assertThat(http().get("/api/data", secret(k)).keyId()).isEqualTo("200 " + k.record().keyId());
    assertThat(
            http()
                .send("POST", "/api/data", Map.of("X-API-Key", secret(k)), "{\"name\":\"x\"}")
                .error())
        .isEqualTo("403 insufficient_scope");
  }

  @Test
  void ipAllowlist_isCheckedAgainstTheClientIpThroughTrustedProxies() throws Exception {
    CreatedKey k = key(List.of("read"), List.of("203.0.113.0/24"));
    assertThat(http().get("/api/data", secret(k)).error()).isEqualTo("403 ip_not_allowed");
    Http.Answer viaProxy =
        http()
            .send(
                "GET",
                "/api/data",
                Map.of("X-API-Key", secret(k), "X-Forwarded-For", "198.51.100.1, 203.0.113.7"),
                null);
    assertThat(viaProxy.keyId()).isEqualTo("200 " + k.record().keyId());
    Http.Answer spoofedLeft =
        http()
            .send(
                "GET",
                "/api/data",
                Map.of("X-API-Key", secret(k), "X-Forwarded-For", "203.0.113.7, 198.51.100.1"),
                null);
    assertThat(spoofedLeft.error()).isEqualTo("403 ip_not_allowed");
  }

  @Test
  @Order(Integer.MAX_VALUE)
  void keygateServerDown_failsClosedWith503() throws Exception {
    CreatedKey k = key(List.of("read"), null);
    server.close();
    Http.Answer a = http().get("/api/data", secret(k));
    assertThat(a.error()).isEqualTo("503 keygate_unavailable");
    assertThat(http().get("/public", null).status()).isEqualTo(200);
  }
}
