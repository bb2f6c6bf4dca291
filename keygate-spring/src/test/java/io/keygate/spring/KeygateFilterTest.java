package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keygate.core.verify.Outcome;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

class KeygateFilterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final KeygatePrincipal ALICE =
      new KeygatePrincipal("key_alice", "owner_a", "live_secret", List.of("read", "write"));

  private final List<KeyRequest> seen = new ArrayList<>();

  private KeygateFilter filter(Function<KeyRequest, KeyVerdict> answer, String... rules) {
    KeygateFilter.Builder b =
        KeygateFilter.builder()
            .verifier(
                r -> {
                  seen.add(r);
                  return answer.apply(r);
                })
            .trustedProxies(List.of("10.0.0.0/8"));
    for (String r : rules) {
      b.rule(PathRule.parse(r));
    }
    return b.build();
  }

  private static MockHttpServletRequest get(String path) {
    MockHttpServletRequest r = new MockHttpServletRequest("GET", path);
    r.setServletPath(path);
    r.setRemoteAddr("198.51.100.9");
    return r;
  }

  private record Run(MockHttpServletResponse response, HttpServletRequest passed) {
    JsonNode body() throws Exception {
      return JSON.readTree(response.getContentAsByteArray());
    }
  }

  private static Run run(KeygateFilter f, MockHttpServletRequest req) throws Exception {
    MockHttpServletResponse res = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();
    f.doFilter(req, res, chain);
    return new Run(res, (HttpServletRequest) chain.getRequest());
  }

  @Test
  void doFilter_noKeyOnOpenPath_passesAnonymously() throws Exception {
    Run run = run(filter(r -> KeyVerdict.valid(ALICE), "GET /api/** -> read"), get("/public"));
    assertThat(run.passed()).isNotNull();
    assertThat(KeygatePrincipal.current(run.passed())).isNull();
    assertThat(run.passed().getUserPrincipal()).isNull();
    assertThat(seen).isEmpty();
  }

  @Test
  void doFilter_noKeyOnRuledPath_is401MissingApiKeyWithBareChallenge() throws Exception {
    Run run = run(filter(r -> KeyVerdict.valid(ALICE), "GET /api/** -> read"), get("/api/data"));
    assertThat(run.passed()).isNull();
    assertThat(run.response().getStatus()).isEqualTo(401);
    assertThat(run.response().getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"keygate\"");
    assertThat(run.response().getContentType()).startsWith("application/json");
    assertThat(run.body().get("error").asText()).isEqualTo("missing_api_key");
    assertThat(run.body().get("message").asText()).contains("X-API-Key");
    assertThat(seen).isEmpty();
  }

  @Test
  void doFilter_validKey_attachesPrincipalAttributeAndUserPrincipal() throws Exception {
    String key = TestKeys.wellFormed();
    MockHttpServletRequest req = get("/api/data");
    req.addHeader("X-API-Key", key);
    Run run = run(filter(r -> KeyVerdict.valid(ALICE), "GET /api/** -> read"), req);
    assertThat(run.response().getStatus()).isEqualTo(200);
    assertThat(KeygatePrincipal.current(run.passed())).isEqualTo(ALICE);
    assertThat(run.passed().getUserPrincipal()).isEqualTo(ALICE);
    assertThat(run.passed().getRemoteUser()).isEqualTo("key_alice");
    assertThat(run.passed().isUserInRole("write")).isTrue();
    assertThat(run.passed().isUserInRole("admin")).isFalse();
    assertThat(seen)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.key()).isEqualTo(key);
              assertThat(r.requiredScopes()).containsExactly("read");
              assertThat(r.method()).isEqualTo("GET");
              assertThat(r.path()).isEqualTo("/api/data");
              assertThat(r.toString()).doesNotContain(key);
            });
  }

  @Test
  void presentedKey_xApiKeyWinsOverBearer_andBearerSchemeIsCaseInsensitive() {
    MockHttpServletRequest both = get("/");
    both.addHeader("X-API-Key", " header-key ");
    both.addHeader("Authorization", "Bearer bearer-key");
    assertThat(KeygateFilter.presentedKey(both)).isEqualTo("header-key");

    MockHttpServletRequest bearer = get("/");
    bearer.addHeader("Authorization", "bearer   token-value ");
    assertThat(KeygateFilter.presentedKey(bearer)).isEqualTo("token-value");

    MockHttpServletRequest basic = get("/");
    basic.addHeader("Authorization", "Basic dXNlcjpwYXNz");
    assertThat(KeygateFilter.presentedKey(basic)).isNull();

    MockHttpServletRequest empty = get("/");
    empty.addHeader("Authorization", "Bearer ");
    empty.addHeader("X-API-Key", "  ");
    assertThat(KeygateFilter.presentedKey(empty)).isNull();
  }

  @Test
  void doFilter_invalidKey_is401WithInvalidTokenChallengeAndJsonBody() throws Exception {
    String key = TestKeys.wellFormed();
    MockHttpServletRequest req = get("/api/data");
    req.addHeader("Authorization", "Bearer " + key);
    Run run = run(filter(r -> KeyVerdict.refused(Outcome.KEY_REVOKED), "GET /api/** -> read"), req);
    assertThat(run.passed()).isNull();
    assertThat(run.response().getStatus()).isEqualTo(401);
    assertThat(run.response().getHeader("WWW-Authenticate"))
        .isEqualTo("Bearer realm=\"keygate\", error=\"invalid_token\"");
    assertThat(run.response().getHeader("Cache-Control")).isEqualTo("no-store");
    assertThat(run.body().get("error").asText()).isEqualTo("key_revoked");
    assertThat(run.body().get("message").asText()).isEqualTo("the API key has been revoked");
    assertThat(run.response().getContentAsString()).doesNotContain(key);
  }

  @Test
  void doFilter_insufficientScope_is403WithoutChallenge() throws Exception {
    MockHttpServletRequest req = get("/api/data");
    req.addHeader("X-API-Key", TestKeys.wellFormed());
    Run run =
        run(
            filter(
                r -> KeyVerdict.insufficientScope(r.requiredScopes(), false),
                "GET /api/** -> read,admin"),
            req);
    assertThat(run.response().getStatus()).isEqualTo(403);
    assertThat(run.response().getHeader("WWW-Authenticate")).isNull();
    assertThat(run.body().get("error").asText()).isEqualTo("insufficient_scope");
    assertThat(run.body().get("message").asText()).contains("[read, admin]");
  }

  @Test
  void doFilter_keyInQueryString_is403ApiKeyInUrlBeforeAnyVerification() throws Exception {
    String key = TestKeys.wellFormed();
    for (String query :
        List.of(
            "api_key=" + key,
            "a=1&token=" + URLEncoder.encode(key, StandardCharsets.UTF_8),
            key,
            "x=1;k=" + key)) {
      MockHttpServletRequest req = get("/public");
      req.setQueryString(query);
      Run run = run(filter(r -> KeyVerdict.valid(ALICE)), req);
      assertThat(run.response().getStatus()).as(query).isEqualTo(403);
      assertThat(run.body().get("error").asText()).isEqualTo("api_key_in_url");
      assertThat(run.response().getContentAsString()).doesNotContain(key);
    }
    assertThat(seen).isEmpty();
  }

  @Test
  void doFilter_lookAlikeInQueryString_isNotTreatedAsAKey() throws Exception {
    String key = TestKeys.wellFormed();
    String broken = key.substring(0, key.length() - 1) + (key.endsWith("A") ? "B" : "A");
    MockHttpServletRequest req = get("/public");
    req.setQueryString("q=" + broken + "&page=2");
    Run run = run(filter(r -> KeyVerdict.valid(ALICE)), req);
    assertThat(run.passed()).isNotNull();
  }

  @Test
  void doFilter_verifierUnavailable_failsClosedWith503() throws Exception {
    MockHttpServletRequest req = get("/api/data");
    req.addHeader("X-API-Key", TestKeys.wellFormed());
    Run run =
        run(
            filter(
                r -> {
                  throw new KeygateUnavailableException("server down", null);
                },
                "GET /api/** -> read"),
            req);
    assertThat(run.passed()).isNull();
    assertThat(run.response().getStatus()).isEqualTo(503);
    assertThat(run.response().getHeader("Retry-After")).isEqualTo("1");
    assertThat(run.body().get("error").asText()).isEqualTo("keygate_unavailable");
  }

  @Test
  void doFilter_keyOnOpenPath_isStillVerified() throws Exception {
    MockHttpServletRequest req = get("/public");
    req.addHeader("X-API-Key", TestKeys.wellFormed());
    Run run = run(filter(r -> KeyVerdict.refused(Outcome.INVALID_KEY), "GET /api/** -> read"), req);
    assertThat(run.response().getStatus()).isEqualTo(401);
    assertThat(seen).singleElement().satisfies(r -> assertThat(r.requiredScopes()).isEmpty());
  }

  @Test
  void doFilter_firstMatchingRuleWins() throws Exception {
    KeygateFilter f =
        filter(r -> KeyVerdict.valid(ALICE), "GET /api/data/admin -> admin", "GET /api/** -> read");
    assertThat(f.match("GET", "/api/data/admin").scopes()).containsExactly("admin");
    assertThat(f.match("GET", "/api/data/other").scopes()).containsExactly("read");
    assertThat(f.match("HEAD", "/api/data/other").scopes()).containsExactly("read");
    assertThat(f.match("POST", "/api/data/other")).isNull();
  }

  @Test
  void doFilter_clientIpFromTrustedProxyForwardedFor() throws Exception {
    MockHttpServletRequest viaProxy = get("/api/data");
    viaProxy.setRemoteAddr("10.0.0.2");
    viaProxy.addHeader("X-Forwarded-For", "203.0.113.7, 10.0.0.3");
    viaProxy.addHeader("X-API-Key", TestKeys.wellFormed());
    run(filter(r -> KeyVerdict.valid(ALICE)), viaProxy);

    MockHttpServletRequest direct = get("/api/data");
    direct.addHeader("X-Forwarded-For", "203.0.113.7");
    direct.addHeader("X-API-Key", TestKeys.wellFormed());
    run(filter(r -> KeyVerdict.valid(ALICE)), direct);

    assertThat(seen)
        .extracting(KeyRequest::clientIp)
        .containsExactly("203.0.113.7", "198.51.100.9");
  }

  @Test
  void doFilter_everyForwardedForLine_isRead_andAddressesAreNormalised() throws Exception {
    MockHttpServletRequest twoLines = get("/api/data");
    twoLines.setRemoteAddr("10.0.0.2");
    twoLines.addHeader("X-Forwarded-For", "198.51.100.66");
    twoLines.addHeader("X-Forwarded-For", "::ffff:203.0.113.7");
    twoLines.addHeader("X-API-Key", TestKeys.wellFormed());
    run(filter(r -> KeyVerdict.valid(ALICE)), twoLines);

    MockHttpServletRequest v6 = get("/api/data");
    v6.setRemoteAddr("0:0:0:0:0:0:0:1");
    v6.addHeader("X-API-Key", TestKeys.wellFormed());
    run(filter(r -> KeyVerdict.valid(ALICE)), v6);

    assertThat(seen).extracting(KeyRequest::clientIp).containsExactly("203.0.113.7", "::1");
  }

  @Test
  void doFilter_rulesSeeTheCanonicalPath_ofTheUriInsideTheApplication() throws Exception {
    for (String uri :
        List.of(
            "/app/api/data",
            "/app/api/%64ata",
            "/app/public/../api/data",
            "/app/api/./data/",
            "/app//api//data")) {
      MockHttpServletRequest req = new MockHttpServletRequest("GET", uri);
      req.setContextPath("/app");
      req.setRemoteAddr("198.51.100.9");
      Run run = run(filter(r -> KeyVerdict.valid(ALICE), "GET /api/data -> read"), req);
      assertThat(run.response().getStatus()).as(uri).isEqualTo(401);
      assertThat(run.body().get("error").asText()).isEqualTo("missing_api_key");
    }
    MockHttpServletRequest withKey = new MockHttpServletRequest("GET", "/app/public/../api/%64ata");
    withKey.setContextPath("/app");
    withKey.addHeader("X-API-Key", TestKeys.wellFormed());
    run(filter(r -> KeyVerdict.valid(ALICE), "GET /api/data -> read"), withKey);
    assertThat(seen)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.path()).isEqualTo("/api/data");
              assertThat(r.method()).isEqualTo("GET");
              assertThat(r.requiredScopes()).containsExactly("read");
            });
  }

  @Test
  void doFilter_ambiguousPaths_are400InvalidPath_beforeAnyVerification() throws Exception {
    for (String uri :
        List.of(
            "/api/data;jsessionid=1",
            "/public/..;/api/data",
            "/public/%2e%2e/api/data",
            "/public%2F..%2Fapi/data",
            "/public/%252e%252e/api",
            "/api/data%00",
            "/api\\data",
            "/../api/data")) {
      MockHttpServletRequest req = get(uri);
      req.addHeader("X-API-Key", TestKeys.wellFormed());
      Run run = run(filter(r -> KeyVerdict.valid(ALICE), "GET /api/** -> read"), req);
      assertThat(run.passed()).as(uri).isNull();
      assertThat(run.response().getStatus()).as(uri).isEqualTo(400);
      assertThat(run.body().get("error").asText()).isEqualTo("invalid_path");
    }
    assertThat(seen).isEmpty();
  }

  @Test
  void doFilter_keyAnywhereInTheUrl_isReportedAndRefused() throws Exception {
    String key = TestKeys.wellFormed();
    List<String> reported = new ArrayList<>();
    KeyVerifier reporting =
        new KeyVerifier() {
          @Override
          public KeyVerdict verify(KeyRequest r) {
            seen.add(r);
            return KeyVerdict.valid(ALICE);
          }

          @Override
          public KeyVerdict keyInUrl(String target, String clientIp) {
            reported.add(clientIp);
            return reported.size() < 3
                ? KeyVerdict.refused(Outcome.API_KEY_IN_URL)
                : KeyVerdict.refused(Outcome.RATE_LIMITED);
          }
        };
    KeygateFilter f = KeygateFilter.builder().verifier(reporting).build();
    List<MockHttpServletRequest> requests = new ArrayList<>();
    for (String uri :
        List.of(
            "/api/" + key,
            "/api/data;k=" + key,
            "/api/%73" + key.substring(1),
            "/api/x%252F" + key)) {
      requests.add(new MockHttpServletRequest("GET", uri));
    }
    for (String query :
        List.of(
            "auth=Bearer%20" + key,
            "auth=Bearer+" + key,
            "x=" + URLEncoder.encode(URLEncoder.encode(key, StandardCharsets.UTF_8), "UTF-8"))) {
      MockHttpServletRequest r = new MockHttpServletRequest("GET", "/api/data");
      r.setQueryString(query);
      requests.add(r);
    }
    for (MockHttpServletRequest r : requests) {
      r.setRemoteAddr("198.51.100.9");
      r.addHeader("X-API-Key", key);
      Run run = run(f, r);
      assertThat(run.passed()).as(r.getRequestURI()).isNull();
      assertThat(run.response().getStatus()).isIn(403, 429);
      assertThat(run.response().getContentAsString()).doesNotContain(key);
    }
    assertThat(reported).hasSize(requests.size()).containsOnly("198.51.100.9");
    assertThat(seen).as("nothing verified").isEmpty();
  }

  @Test
  void doFilter_keyInUrl_whenTheReportFails_isStillRefused() throws Exception {
    KeyVerifier down =
        new KeyVerifier() {
          @Override
          public KeyVerdict verify(KeyRequest r) {
            return KeyVerdict.valid(ALICE);
          }

          @Override
          public KeyVerdict keyInUrl(String target, String clientIp) {
            throw new KeygateUnavailableException("server down", null);
          }
        };
    MockHttpServletRequest req = get("/public");
    req.setQueryString("k=" + TestKeys.wellFormed());
    Run run = run(KeygateFilter.builder().verifier(down).build(), req);
    assertThat(run.passed()).isNull();
    assertThat(run.response().getStatus()).isEqualTo(403);
    assertThat(run.body().get("error").asText()).isEqualTo("api_key_in_url");
  }

  @Test
  void builder_withoutVerifier_failsFast() {
    Assertions.assertThatThrownBy(() -> KeygateFilter.builder().build())
        .isInstanceOf(IllegalStateException.class);
    Assertions.assertThatThrownBy(
            () -> KeygateFilter.builder().trustedProxies(List.of("not-an-ip")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not-an-ip");
  }
}
