package io.keygate.server.http;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.model.KeySettings;
import io.keygate.server.testing.TestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VerifyRoutesTest extends ServerPerTest {
  JsonNode key;
  String raw;

  @BeforeEach
  void createKey() {
    key = t.createKey("owner_id", "acme", "scopes", List.of("read", "write"), "meta", map("p", 1));
    raw = key.path("api_key").asText();
  }

  // --- POST /v1/verify -------------------------------------------------------------------

  @Test
  void verify_valid_returnsIdentityScopesAndMeta() {
    JsonNode v = t.verify(raw);

    assertThat(v.path("valid").asBoolean()).isTrue();
    assertThat(v.path("code").asText()).isEqualTo("valid");
    assertThat(v.path("message").isNull()).isTrue();
    assertThat(v.path("key_id").asText()).isEqualTo(key.path("key_id").asText());
    assertThat(v.path("owner_id").asText()).isEqualTo("acme");
    assertThat(v.path("type").asText()).isEqualTo("live_secret");
    assertThat(KeyRoutesTest.strings(v.path("scopes"))).containsExactly("read", "write");
    assertThat(v.path("expires_at").asText()).isEqualTo(key.path("expires_at").asText());
    assertThat(v.path("meta").path("p").asInt()).isEqualTo(1);
    assertThat(v.toString()).doesNotContain(raw);
  }

  @Test
  void verify_missingKey() {
    JsonNode v = t.post("/v1/verify", map()).expect(200);
    assertRejected(v, "missing_api_key", false);
  }

  /** Creates a key with {@code fields}; its raw value. */
  private String rawKey(Object... fields) {
    return t.createKey(fields).path("api_key").asText();
  }

  /** A well-formed {@code live_secret} key that was never stored. */
  private String unknownKey() {
    return t.server
        .keygate()
        .format()
        .generate(t.server.keygate().format().types().byName("live_secret").orElseThrow())
        .reveal();
  }

  @Test
  void verify_malformedOrUnknownKey_isInvalidKey() {
    assertRejected(t.verify("sk_live_tooShort"), "invalid_key", false);
    String corrupted =
        raw.substring(0, 20) + (raw.charAt(20) == 'a' ? 'b' : 'a') + raw.substring(21);
    assertRejected(t.verify(corrupted), "invalid_key", false);
    String wellFormedButUnknown = unknownKey();
    assertRejected(t.verify(wellFormedButUnknown), "invalid_key", false);
  }

  @Test
  void verify_byOwnerLimitedToken_otherOwnersKeys_areAnsweredExactlyAsUnknownKeys_inEveryState() {
    String globexToken = t.token("globex", List.of(AdminScopes.VERIFY));
    String unknown = unknownKey();
    JsonNode revoked = t.createKey("owner_id", "acme");
    t.post("/v1/keys/" + revoked.path("key_id").asText() + "/revoke", map()).expect(200);
    JsonNode disabled = t.createKey("owner_id", "acme");
    t.post("/v1/keys/" + disabled.path("key_id").asText() + "/disable", map()).expect(200);
    JsonNode limited =
        t.createKey(
            "owner_id", "acme", "ip_allowlist", List.of("10.0.0.0/8"), "scopes", List.of("x"));
    String canary =
        t.post("/v1/canaries", map("owner_id", "acme", "label", "wiki"))
            .expect(201)
            .path("api_key")
            .asText();
    String answerToUnknown =
        t.req("POST", "/v1/verify")
            .token(globexToken)
            .json(map("key", unknown))
            .send()
            .expect(200)
            .toString();
    assertThat(answerToUnknown).contains("\"code\":\"invalid_key\"");
    for (String other :
        List.of(
            raw,
            revoked.path("api_key").asText(),
            disabled.path("api_key").asText(),
            limited.path("api_key").asText(),
            canary,
            t.adminToken)) {
      JsonNode v =
          t.req("POST", "/v1/verify")
              .token(globexToken)
              .json(map("key", other, "ip", "192.0.2.1", "required_scopes", List.of("read")))
              .send()
              .expect(200);
      assertThat(v.toString()).as(other.substring(0, 8)).isEqualTo(answerToUnknown);
    }
    // its own owner's keys verify as usual
    String own = rawKey("owner_id", "globex");
    JsonNode mine =
        t.req("POST", "/v1/verify").token(globexToken).json(map("key", own)).send().expect(200);
    assertThat(mine.path("code").asText()).isEqualTo("valid");
    assertThat(mine.path("owner_id").asText()).isEqualTo("globex");
    // and an unrestricted token still sees the real states
    assertThat(t.verify(revoked.path("api_key").asText()).path("code").asText())
        .isEqualTo("key_revoked");
    assertThat(t.verify(raw).path("code").asText()).isEqualTo("valid");
  }

  @Test
  void keyStoredWithUnreadableSettings_isRefused_neverA500_untilAnUpdateCorrectsThem() {
    // Rows written before import validated endpoint rules (or edited by hand) must fail closed.
    var kg = t.server.keygate();
    String id = key.path("key_id").asText();
    for (var bad :
        List.of(
            Map.entry(List.of("read", "GET /v1/../admin"), List.<String>of()),
            Map.entry(List.of("read write"), List.<String>of()),
            Map.entry(List.of("read"), List.of("not-an-ip")))) {
      kg.store()
          .inTransaction(
              tx -> {
                var cur = tx.lockKey(id).orElseThrow();
                var st = cur.settings();
                tx.updateKey(
                    cur.withSettings(
                        new KeySettings(
                            st.name(),
                            bad.getKey(),
                            bad.getValue(),
                            st.rateLimits(),
                            st.meta(),
                            st.quota()),
                        cur.expiresAt(),
                        cur.updatedAt()));
                return null;
              });
      kg.verifier().invalidate(kg.store().findById(id).orElseThrow().hash());
      String expected = bad.getValue().isEmpty() ? "insufficient_scope" : "ip_not_allowed";
      JsonNode v = t.verify(raw, "ip", "10.1.2.3", "method", "GET", "path", "/v1/data");
      assertThat(v.path("code").asText()).isEqualTo(expected);
      assertThat(v.path("message").asText()).contains("cannot be read");
      TestServer.Response authz =
          authz()
              .header("X-API-Key", raw)
              .header("X-Original-URI", "/v1/data")
              .header("X-Original-Method", "GET")
              .send();
      assertThat(authz.expectAuthz(403)).isEqualTo(expected);
      assertThat(t.get("/v1/keys/" + id).status()).isEqualTo(200);
    }
    // an update that leaves the broken settings in place is refused with what is wrong ...
    assertThat(t.patch("/v1/keys/" + id, map("name", "x")).expect(400).path("error").asText())
        .isEqualTo("invalid_ip_allowlist");
    // ... and one that corrects them brings the key back
    t.patch("/v1/keys/" + id, map("ip_allowlist", List.of())).expect(200);
    assertThat(t.verify(raw).path("code").asText()).isEqualTo("valid");
  }

  @Test
  void verify_revoked() {
    t.post("/v1/keys/" + key.path("key_id").asText() + "/revoke", map()).expect(200);
    assertRejected(t.verify(raw), "key_revoked", true);
  }

  @Test
  void verify_expired_byTheClock() {
    String shortRaw = rawKey("owner_id", "acme", "expires_in_days", 1);
    assertThat(t.verify(shortRaw).path("code").asText()).isEqualTo("valid");
    t.clock.advance(Duration.ofDays(1).plusMillis(1));
    assertRejected(t.verify(shortRaw), "key_expired", true);
  }

  @Test
  void verify_disabled() {
    t.post("/v1/keys/" + key.path("key_id").asText() + "/disable", null).expect(200);
    assertRejected(t.verify(raw), "key_disabled", true);
  }

  @Test
  void verify_ipAllowlist() {
    String r = rawKey("owner_id", "acme", "ip_allowlist", List.of("10.0.0.0/8", "2001:db8::/32"));
    assertThat(t.verify(r, "ip", "10.1.2.3").path("code").asText()).isEqualTo("valid");
    assertThat(t.verify(r, "ip", "2001:db8::1").path("code").asText()).isEqualTo("valid");
    assertRejected(t.verify(r, "ip", "192.168.1.1"), "ip_not_allowed", true);
    assertRejected(t.verify(r), "ip_not_allowed", true);
  }

  @Test
  void verify_requiredScopes() {
    assertThat(t.verify(raw, "required_scopes", List.of("write")).path("code").asText())
        .isEqualTo("valid");
    assertRejected(t.verify(raw, "required_scopes", List.of("admin")), "insufficient_scope", true);
  }

  @Test
  void verify_needsTheVerifyScope() {
    String readOnly = t.token(null, List.of(AdminScopes.KEYS_READ));
    JsonNode e =
        t.req("POST", "/v1/verify").token(readOnly).json(map("key", raw)).send().expect(403);
    assertThat(e.path("error").asText()).isEqualTo("forbidden");
  }

  @Test
  void verify_methodAndPath_areNormalisedBeforeTheRules_andRulesFailClosedWithoutThem() {
    String ruled = rawKey("owner_id", "acme", "scopes", List.of("read", "GET /v1/data/**"));
    assertThat(
            t.verify(ruled, "method", "GET", "path", "/v1/x/../data/%31?q=1").path("code").asText())
        .isEqualTo("valid");
    assertRejected(
        t.verify(ruled, "method", "GET", "path", "/v1/data/../admin"), "insufficient_scope", true);
    for (Object[] partial :
        List.of(
            new Object[] {},
            new Object[] {"method", "GET"},
            new Object[] {"path", "/v1/data/1"},
            new Object[] {"required_scopes", List.of("read")})) {
      JsonNode v = t.verify(ruled, partial);
      assertRejected(v, "insufficient_scope", true);
      assertThat(v.path("message").asText()).contains("no method and path");
    }
    assertThat(t.verify(raw).path("code").asText())
        .as("a key without rules needs neither")
        .isEqualTo("valid");
  }

  @Test
  void verify_badPathMethodOrIp_is400WithItsCode() {
    for (Object[] bad :
        List.of(
            new Object[] {"path", "/v1/%2e%2e/admin", "invalid_path"},
            new Object[] {"path", "/v1/a%2Fb", "invalid_path"},
            new Object[] {"path", "v1/data", "invalid_path"},
            new Object[] {"method", "GET /x", "invalid_method"},
            new Object[] {"ip", "010.1.2.3", "invalid_ip"},
            new Object[] {"ip", "127.1", "invalid_ip"},
            new Object[] {"ip", "example.com", "invalid_ip"})) {
      JsonNode e = t.post("/v1/verify", map("key", raw, (String) bad[0], bad[1])).expect(400);
      assertThat(e.path("error").asText()).as(bad[1].toString()).isEqualTo(bad[2]);
    }
  }

  @Test
  void verify_ipIsNormalisedBeforeTheAllowlist() {
    String r = rawKey("owner_id", "acme", "ip_allowlist", List.of("10.0.0.0/8", "2001:db8::1"));
    for (String ip :
        List.of("::ffff:10.1.2.3", "[::FFFF:10.1.2.3]", "2001:DB8:0::1", "[2001:db8::1%eth0]")) {
      assertThat(t.verify(r, "ip", ip).path("code").asText()).as(ip).isEqualTo("valid");
    }
    assertRejected(t.verify(r, "ip", "::ffff:11.1.2.3"), "ip_not_allowed", true);
  }

  @Test
  void verify_keyInThePath_isApiKeyInUrl_countedForTheEndClient() {
    String other = rawKey("owner_id", "acme");
    int threshold = t.server.keygate().verifier().bruteForce().policy().threshold();
    for (int i = 0; i < threshold; i++) {
      String path = i % 2 == 0 ? "/v1/data?token=" + other : "/v1/" + other + "/x";
      JsonNode v = t.verify(raw, "path", path, "ip", "203.0.113.90");
      assertThat(v.path("code").asText()).isEqualTo("api_key_in_url");
      assertThat(v.path("key_id").isNull()).isTrue();
      assertThat(v.toString()).doesNotContain(other);
    }
    assertThat(t.verify(raw, "ip", "203.0.113.90").path("code").asText())
        .as("the end client is blocked")
        .isEqualTo("rate_limited");
    assertThat(t.verify(raw, "ip", "203.0.113.91").path("code").asText()).isEqualTo("valid");
    JsonNode noKey = t.post("/v1/verify", map("path", "/x#" + other)).expect(200);
    assertThat(noKey.path("code").asText()).isEqualTo("api_key_in_url");
  }

  private static void assertRejected(JsonNode v, String code, boolean knownKey) {
    assertThat(v.path("valid").asBoolean()).as("valid").isFalse();
    assertThat(v.path("code").asText()).isEqualTo(code);
    assertThat(v.path("message").asText()).isNotBlank();
    assertThat(v.has("key_id")).isTrue();
    assertThat(v.path("key_id").isNull()).as("key_id null").isEqualTo(!knownKey);
    assertThat(v.path("meta").isNull()).as("meta only for valid keys").isTrue();
  }

  // --- /v1/authz -------------------------------------------------------------------------

  private TestServer.Req authz() {
    return t.req("GET", "/v1/authz").token(null);
  }

  @Test
  void authz_withXApiKey_answers200WithIdentityHeaders() {
    TestServer.Response r = authz().header("X-API-Key", raw).send();
    assertThat(r.expectAuthz(200)).isNull();
    assertThat(r.header("X-Keygate-Key-Id")).isEqualTo(key.path("key_id").asText());
    assertThat(r.header("X-Keygate-Owner-Id")).isEqualTo("acme");
    assertThat(r.header("X-Keygate-Scopes")).isEqualTo("read,write");
    assertThat(r.header("X-Keygate-Key-Type")).isEqualTo("live_secret");
    assertThat(r.body()).doesNotContain(raw);
    // Answer headers are appended, not replaced: each must still be there exactly once.
    for (String h :
        List.of(
            "X-Keygate-Key-Id",
            "X-Keygate-Owner-Id",
            "X-Keygate-Key-Type",
            "X-Keygate-Scopes",
            "Cache-Control",
            "X-Content-Type-Options",
            "Content-Length")) {
      assertThat(r.headers().entrySet())
          .filteredOn(e -> e.getKey().equalsIgnoreCase(h))
          .singleElement()
          .satisfies(e -> assertThat(e.getValue()).as(h).hasSize(1));
    }
  }

  @Test
  void authz_withBearer_answers200() {
    TestServer.Response r = t.req("GET", "/v1/authz").token(raw).send();
    r.expectAuthz(200);
    assertThat(r.header("X-Keygate-Key-Id")).isEqualTo(key.path("key_id").asText());
  }

  @Test
  void authz_withoutKey_answers401WithChallenge() {
    TestServer.Response r = authz().send();
    assertThat(r.expectAuthz(401)).isEqualTo("missing_api_key");
    assertThat(r.header("WWW-Authenticate"))
        .startsWith("Bearer realm=\"keygate\"")
        .contains("error_description=\"missing_api_key\"");
    assertThat(r.header("X-Keygate-Error")).isEqualTo("missing_api_key");
    assertThat(r.header("X-Keygate-Key-Id")).isNull();
  }

  @Test
  void authz_invalidKey_answers401() {
    TestServer.Response r = authz().header("X-API-Key", "sk_live_nope").send();
    assertThat(r.expectAuthz(401)).isEqualTo("invalid_key");
    assertThat(r.header("WWW-Authenticate")).contains("invalid_key");
  }

  @Test
  void authz_insufficientScope_answers403WithoutChallenge() {
    TestServer.Response viaQuery =
        t.req("GET", "/v1/authz?scopes=admin").token(null).header("X-API-Key", raw).send();
    assertThat(viaQuery.expectAuthz(403)).isEqualTo("insufficient_scope");
    assertThat(viaQuery.header("WWW-Authenticate")).isNull();

    TestServer.Response viaHeader =
        authz().header("X-API-Key", raw).header("X-Keygate-Required-Scopes", "admin").send();
    assertThat(viaHeader.expectAuthz(403)).isEqualTo("insufficient_scope");

    authz()
        .header("X-API-Key", raw)
        .header("X-Keygate-Required-Scopes", "x,write")
        .send()
        .expectAuthz(200);
  }

  @Test
  void authz_keyInOriginalUrlQuery_isRefusedAsApiKeyInUrl() {
    String enc = URLEncoder.encode(raw, StandardCharsets.UTF_8);
    for (String header : List.of("X-Original-URI", "X-Forwarded-Uri")) {
      TestServer.Response r =
          authz().header("X-API-Key", raw).header(header, "/orders?page=2&api_key=" + enc).send();
      assertThat(r.expectAuthz(403)).as(header).isEqualTo("api_key_in_url");
      assertThat(r.header("X-Keygate-Error")).isEqualTo("api_key_in_url");
      assertThat(r.body()).doesNotContain(raw);
    }
    TestServer.Response noHeaderKey = authz().header("X-Original-URI", "/x?" + enc).send();
    assertThat(noHeaderKey.expectAuthz(403)).isEqualTo("api_key_in_url");

    authz()
        .header("X-API-Key", raw)
        .header("X-Original-URI", "/orders?page=2")
        .send()
        .expectAuthz(200);
  }

  @Test
  void authz_keyAnywhereInTheUrl_isRefusedAsApiKeyInUrl() {
    String other = rawKey("owner_id", "acme");
    String enc = URLEncoder.encode(other, StandardCharsets.UTF_8);
    String everyChar =
        other.chars().mapToObj(c -> String.format("%%%02X", c)).reduce("", String::concat);
    List<String> uris =
        List.of(
            "/v1/" + other,
            "/v1/data/" + other + "/items",
            "/v1/data;k=" + other,
            "/v1/data#" + other,
            "/v1/data#access_token=" + other,
            "/v1/data?auth=Bearer%20" + other,
            "/v1/data?auth=Bearer+" + other,
            "/v1/data?" + other,
            "/v1/data?x=" + enc,
            "/v1/" + everyChar,
            "/v1/data?x=" + everyChar.replace("%", "%25"),
            "/v1/data?x=prefix" + other + "suffix");
    int client = 0;
    for (String uri : uris) {
      for (String header : List.of("X-Original-URI", "X-Forwarded-Uri")) {
        // a client address per attempt: each attempt counts towards brute force
        TestServer.Response r =
            authz()
                .header("X-API-Key", raw)
                .header(header, uri)
                .header("X-Forwarded-For", "198.51.100." + ++client)
                .send();
        assertThat(r.status()).as(header + " " + uri).isEqualTo(403);
        assertThat(r.header("X-Keygate-Error")).isEqualTo("api_key_in_url");
        assertThat(r.body()).doesNotContain(other);
      }
    }
    // the authz URL itself, and Envoy's path form
    for (String path :
        List.of(
            "/v1/authz?k=" + other,
            "/v1/authz/v1/" + other,
            "/v1/authz/x?auth=Bearer%20" + other)) {
      TestServer.Response r = t.req("GET", path).token(null).header("X-API-Key", raw).send();
      assertThat(r.status()).as(path).isEqualTo(403);
      assertThat(r.header("X-Keygate-Error")).isEqualTo("api_key_in_url");
    }
  }

  @Test
  void authz_envoyStylePath_verifiesAndSpotsKeysInTheQuery() {
    t.req("POST", "/v1/authz/orders/42")
        .token(null)
        .header("X-API-Key", raw)
        .send()
        .expectAuthz(200);
    TestServer.Response inUrl =
        t.req("GET", "/v1/authz/orders?key=" + raw).token(null).header("X-API-Key", raw).send();
    assertThat(inUrl.expectAuthz(403)).isEqualTo("api_key_in_url");
  }

  @Test
  void authz_envoyClientQueryCannotOverrideRequiredScopes() {
    TestServer.Response r =
        t.req("GET", "/v1/authz/admin/panel?scopes=read")
            .token(null)
            .header("X-API-Key", raw)
            .header("X-Keygate-Required-Scopes", "admin")
            .send();
    assertThat(r.expectAuthz(403)).isEqualTo("insufficient_scope");
  }

  @Test
  void authz_revokedAndDisabledKeys_answer401() {
    String id = key.path("key_id").asText();
    t.post("/v1/keys/" + id + "/disable", null).expect(200);
    assertThat(authz().header("X-API-Key", raw).send().expectAuthz(401)).isEqualTo("key_disabled");
    t.post("/v1/keys/" + id + "/revoke", map()).expect(200);
    assertThat(authz().header("X-API-Key", raw).send().expectAuthz(401)).isEqualTo("key_revoked");
  }

  @Test
  void authz_acceptJson_getsTheJsonBodyToo() {
    for (String accept :
        List.of(
            "application/json",
            "APPLICATION/JSON; charset=utf-8",
            "text/html, application/json;q=0.5",
            "application/json;q=1")) {
      TestServer.Response ok = authz().header("X-API-Key", raw).header("Accept", accept).send();
      assertThat(ok.expect(200).path("key_id").asText())
          .as(accept)
          .isEqualTo(key.path("key_id").asText());
      assertThat(ok.header("X-Keygate-Key-Id")).isEqualTo(key.path("key_id").asText());
      assertThat(ok.header("Content-Type")).startsWith("application/json");
      TestServer.Response refused = authz().header("Accept", accept).send();
      assertThat(refused.expect(401).path("error").asText()).isEqualTo("missing_api_key");
      assertThat(refused.header("X-Keygate-Error")).isEqualTo("missing_api_key");
    }
    TestServer.Response conflict =
        t.req("GET", "/v1/authz?scopes=read")
            .token(null)
            .header("X-API-Key", raw)
            .header("X-Keygate-Required-Scopes", "admin")
            .header("Accept", "application/json")
            .send();
    assertThat(conflict.expect(400).path("error").asText())
        .isEqualTo("conflicting_authz_parameters");
    assertThat(conflict.header("X-Keygate-Error")).isEqualTo("conflicting_authz_parameters");
  }

  @Test
  void authz_withoutAcceptJson_hasNoBody_evenForWildcardsAndRefusedJson() {
    for (String accept :
        List.of(
            "*/*",
            "application/*",
            "text/plain",
            "application/json;q=0",
            "application/json; q=0.000",
            "application/jsonx",
            "application/problem+json",
            ";",
            ",,;")) {
      assertThat(authz().header("X-API-Key", raw).header("Accept", accept).send().expectAuthz(200))
          .as(accept)
          .isNull();
      assertThat(authz().header("Accept", accept).send().expectAuthz(401))
          .as(accept)
          .isEqualTo("missing_api_key");
    }
    // 400s of the authz route itself, and the Envoy path form, have no body either
    assertThat(
            t.req("GET", "/v1/authz?scopes=read")
                .token(null)
                .header("X-API-Key", raw)
                .header("X-Keygate-Required-Scopes", "admin")
                .send()
                .expectAuthz(400))
        .isEqualTo("conflicting_authz_parameters");
    assertThat(
            t.req("GET", "/v1/authz")
                .token(null)
                .header("X-API-Key", raw)
                .header("X-Keygate-Cost", "0")
                .send()
                .expectAuthz(400))
        .isEqualTo("invalid_cost");
    assertThat(
            t.req("DELETE", "/v1/authz/orders/1")
                .token(null)
                .header("X-API-Key", raw)
                .send()
                .expectAuthz(200))
        .isNull();
  }

  @Test
  void acceptsJson_parsesMediaRanges() {
    assertThat(VerifyRoutes.acceptsJson(null)).isFalse();
    assertThat(VerifyRoutes.acceptsJson("")).isFalse();
    assertThat(VerifyRoutes.acceptsJson(",;,")).isFalse();
    assertThat(VerifyRoutes.acceptsJson(";")).isFalse();
    assertThat(VerifyRoutes.acceptsJson("application/json;")).isTrue();
    assertThat(VerifyRoutes.acceptsJson("application/json;q=0, application/json")).isTrue();
    assertThat(VerifyRoutes.acceptsJson("application/json;q=0.001")).isTrue();
    assertThat(VerifyRoutes.acceptsJson("application/json;q=0.0")).isFalse();
  }
}
