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
  void pathOf_usesServletPathAndFallsBackToDecodedUri() {
    MockHttpServletRequest r = new MockHttpServletRequest("GET", "/app/api/%64ata;jsessionid=1");
    r.setContextPath("/app");
    assertThat(KeygateFilter.pathOf(r)).isEqualTo("/api/data");
    r.setServletPath("/api/data");
    assertThat(KeygateFilter.pathOf(r)).isEqualTo("/api/data");
  }

  @Test
  void builder_withoutVerifier_failsFast() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> KeygateFilter.builder().build())
        .isInstanceOf(IllegalStateException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> KeygateFilter.builder().trustedProxies(List.of("not-an-ip")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not-an-ip");
  }
}
