package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keygate.core.verify.Outcome;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The starter in a real Spring Boot app on embedded Tomcat (random port): auto-configuration, path
 * rules, {@link RequireApiKey} any-of/all-of, class-level annotations and {@link KeygateKey}
 * arguments, with a verifier bean of the application's own.
 */
@SpringBootTest(
    classes = KeygateStarterHttpTest.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "keygate.rules[0].method=GET",
      "keygate.rules[0].pattern=/ruled/**",
      "keygate.rules[0].scopes=admin"
    })
class KeygateStarterHttpTest {
  static final String READER = TestKeys.wellFormed();
  static final String READ_WRITE = TestKeys.wellFormed();
  static final String ADMIN = TestKeys.wellFormed();
  private static final ObjectMapper JSON = new ObjectMapper();

  @SpringBootApplication
  static class App {
    /** Stands in for Keygate: three known keys, everything else invalid. */
    @Bean
    KeyVerifier testVerifier() {
      Map<String, KeygatePrincipal> keys =
          Map.of(
              READER, new KeygatePrincipal("key_reader", "acme", "live_secret", List.of("read")),
              READ_WRITE,
                  new KeygatePrincipal("key_rw", "acme", "live_secret", List.of("read", "write")),
              ADMIN, new KeygatePrincipal("key_admin", "acme", "live_secret", List.of("admin")));
      return r -> {
        KeygatePrincipal p = keys.get(r.key());
        if (p == null) {
          return KeyVerdict.refused(Outcome.INVALID_KEY);
        }
        if (!r.requiredScopes().isEmpty() && r.requiredScopes().stream().noneMatch(p::hasScope)) {
          return KeyVerdict.insufficientScope(r.requiredScopes(), false);
        }
        return KeyVerdict.valid(p);
      };
    }

    @Bean
    Endpoints endpoints() {
      return new Endpoints();
    }

    @Bean
    AdminEndpoints adminEndpoints() {
      return new AdminEndpoints();
    }
  }

  @RestController
  static class Endpoints {
    @GetMapping("/open")
    Map<String, Object> open(@KeygateKey KeygatePrincipal key) {
      return Map.of("key_id", key == null ? "anonymous" : key.keyId());
    }

    @GetMapping("/any")
    @RequireApiKey
    Map<String, Object> any(@KeygateKey KeygatePrincipal key) {
      return Map.of("key_id", key.keyId());
    }

    @GetMapping("/any-of")
    @RequireApiKey(scopes = {"admin", "write"})
    Map<String, Object> anyOf(@KeygateKey KeygatePrincipal key) {
      return Map.of("key_id", key.keyId());
    }

    @GetMapping("/all-of")
    @RequireApiKey(
        scopes = {"read", "write"},
        all = true)
    Map<String, Object> allOf(@KeygateKey KeygatePrincipal key) {
      return Map.of("key_id", key.keyId());
    }

    @GetMapping("/ruled/thing")
    Map<String, Object> ruled(Principal principal) {
      return Map.of("key_id", principal.getName());
    }
  }

  @RestController
  @RequireApiKey(scopes = "admin")
  static class AdminEndpoints {
    @GetMapping("/admin/stats")
    Map<String, Object> stats(@KeygateKey KeygatePrincipal key) {
      return Map.of("key_id", key.keyId());
    }
  }

  @LocalServerPort int port;
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(String path, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (key != null) {
      b.header("X-API-Key", key);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String error(HttpResponse<String> r) throws Exception {
    JsonNode n = JSON.readTree(r.body());
    return r.statusCode() + " " + n.path("error").asText();
  }

  private static String keyId(HttpResponse<String> r) throws Exception {
    return r.statusCode() + " " + JSON.readTree(r.body()).path("key_id").asText();
  }

  @Test
  void openEndpoint_worksWithAndWithoutAKey() throws Exception {
    assertThat(keyId(get("/open", null))).isEqualTo("200 anonymous");
    assertThat(keyId(get("/open", READER))).isEqualTo("200 key_reader");
    assertThat(error(get("/open", TestKeys.wellFormed()))).isEqualTo("401 invalid_key");
  }

  @Test
  void requireApiKey_withoutScopes_needsAnyValidKey() throws Exception {
    HttpResponse<String> none = get("/any", null);
    assertThat(error(none)).isEqualTo("401 missing_api_key");
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"keygate\"");
    assertThat(keyId(get("/any", READER))).isEqualTo("200 key_reader");
  }

  @Test
  void requireApiKey_anyOf_andAllOf() throws Exception {
    assertThat(error(get("/any-of", READER))).isEqualTo("403 insufficient_scope");
    assertThat(keyId(get("/any-of", READ_WRITE))).isEqualTo("200 key_rw");
    assertThat(keyId(get("/any-of", ADMIN))).isEqualTo("200 key_admin");
    assertThat(error(get("/all-of", READER))).isEqualTo("403 insufficient_scope");
    assertThat(error(get("/all-of", ADMIN))).isEqualTo("403 insufficient_scope");
    assertThat(keyId(get("/all-of", READ_WRITE))).isEqualTo("200 key_rw");
  }

  @Test
  void requireApiKey_onTheClass_coversItsHandlers() throws Exception {
    assertThat(error(get("/admin/stats", null))).isEqualTo("401 missing_api_key");
    assertThat(error(get("/admin/stats", READER))).isEqualTo("403 insufficient_scope");
    assertThat(keyId(get("/admin/stats", ADMIN))).isEqualTo("200 key_admin");
  }

  @Test
  void pathRuleFromProperties_isEnforcedByTheFilter_andPrincipalIsTheUserPrincipal()
      throws Exception {
    assertThat(error(get("/ruled/thing", null))).isEqualTo("401 missing_api_key");
    assertThat(error(get("/ruled/thing", READER))).isEqualTo("403 insufficient_scope");
    assertThat(error(get("//ruled//thing", READER))).isEqualTo("403 insufficient_scope");
    assertThat(keyId(get("/ruled/thing", ADMIN))).isEqualTo("200 key_admin");
  }

  @Test
  void keyInQueryString_isRefusedEvenOnOpenPaths() throws Exception {
    assertThat(error(get("/open?api_key=" + READER, null))).isEqualTo("403 api_key_in_url");
    assertThat(error(get("/open/" + READER, null))).isEqualTo("403 api_key_in_url");
    assertThat(error(get("/open?auth=Bearer%20" + READER, READER))).isEqualTo("403 api_key_in_url");
  }

  /**
   * Path tricks through real Tomcat: the filter sees the raw request URI and resolves or refuses
   * it, so none reaches the ruled handler without the rule's key (Tomcat itself answers some).
   */
  @Test
  void pathTricks_neverSlipPastARule() throws Exception {
    assertThat(error(get("/open/../ruled/thing", READER))).isEqualTo("403 insufficient_scope");
    assertThat(error(get("/open/./../ruled/thing", null))).isEqualTo("401 missing_api_key");
    for (String trick :
        List.of(
            "/open/..;/ruled/thing",
            "/ruled;jsessionid=1/thing",
            "/open/%2e%2e/ruled/thing",
            "/open/%252e%252e/ruled/thing",
            "/open%2F..%2Fruled/thing")) {
      HttpResponse<String> r = get(trick, READER);
      assertThat(r.statusCode()).as(trick).isEqualTo(400);
    }
  }
}
