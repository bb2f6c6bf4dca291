package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.keygate.server.config.ForwardAuth;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.config.Settings;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/authz} behind each kind of gateway, with the header shapes each one really sends
 * (nginx {@code auth_request}, Traefik ForwardAuth and Caddy {@code forward_auth}, Envoy ext_authz
 * HTTP): the original request comes from the configured gateway's form only, and forms or settings
 * that disagree are refused rather than resolved by a precedence a client could exploit.
 */
class ForwardAuthTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;

  private static TestServer start(Path dir, ForwardAuth mode) {
    return servers.start(dir, c -> c.withGateway(c.trustedProxies(), mode));
  }

  /** A key that may read /v1/data/** and create orders, nothing else. */
  private static String ruledKey(TestServer t) {
    return t.createKey(
            "owner_id", "acme", "scopes", List.of("read", "GET /v1/data/**", "POST /v1/orders"))
        .path("api_key")
        .asText();
  }

  private static TestServer.Response authz(
      TestServer t, String method, String path, String key, String... headers) {
    TestServer.Req r = t.req(method, path).token(null).header("X-API-Key", key);
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return r.send();
  }

  /**
   * {@link #authz} as written in {@code request}: its first line the method and path, then one
   * {@code Name: value} header a line.
   */
  private static TestServer.Response send(TestServer t, String key, String request) {
    List<String> lines = request.lines().toList();
    String[] start = lines.get(0).split(" ");
    String[] headers =
        lines.stream()
            .skip(1)
            .flatMap(
                h -> Stream.of(h.substring(0, h.indexOf(':')), h.substring(h.indexOf(':') + 2)))
            .toArray(String[]::new);
    return authz(t, start[0], start[1], key, headers);
  }

  private static TestServer.Response viaNginx(TestServer t, String key, String m, String uri) {
    return authz(t, "GET", "/v1/authz", key, "X-Original-Method", m, "X-Original-URI", uri);
  }

  /** What Traefik and Caddy send: GET /v1/authz with X-Forwarded-Method and -Uri (and -Host). */
  private static TestServer.Response viaForwarded(TestServer t, String key, String m, String uri) {
    return authz(
        t,
        "GET",
        "/v1/authz",
        key,
        "X-Forwarded-Method",
        m,
        "X-Forwarded-Uri",
        uri,
        "X-Forwarded-Proto",
        "https",
        "X-Forwarded-Host",
        "api.example.com");
  }

  /** What Envoy sends: the original method, path_prefix /v1/authz + the original path. */
  private static TestServer.Response viaEnvoy(TestServer t, String key, String m, String uri) {
    return authz(t, m, "/v1/authz" + uri, key);
  }

  @Test
  void auto_readsEachGatewaysShape_andChecksEndpointRules() {
    try (TestServer t = servers.start(dir)) {
      String key = ruledKey(t);
      for (var shape :
          List.<Via>of(
              ForwardAuthTest::viaNginx,
              ForwardAuthTest::viaForwarded,
              ForwardAuthTest::viaEnvoy)) {
        assertThat(shape.send(t, key, "GET", "/v1/data/7?page=2").status()).isEqualTo(200);
        assertThat(shape.send(t, key, "HEAD", "/v1/data/7").status()).isEqualTo(200);
        assertThat(shape.send(t, key, "POST", "/v1/orders").status()).isEqualTo(200);
        TestServer.Response no = shape.send(t, key, "DELETE", "/v1/data/7");
        assertThat(no.expectAuthz(403)).isEqualTo("insufficient_scope");
        assertThat(shape.send(t, key, "GET", "/v1/admin").status()).isEqualTo(403);
        assertThat(shape.send(t, key, "GET", "/v1/data/../admin").status())
            .as("dot segments resolved before the rules")
            .isEqualTo(403);
        assertThat(shape.send(t, key, "GET", "/v1/%64ata/x").status())
            .as("escapes decoded before the rules")
            .isEqualTo(200);
      }
    }
  }

  @FunctionalInterface
  private interface Via {
    TestServer.Response send(TestServer t, String key, String method, String uri);
  }

  @Test
  void auto_formsThatDisagree_areRefused400_neverResolvedByPrecedence() {
    try (TestServer t = servers.start(dir)) {
      String key = ruledKey(t);
      List<String> refused =
          List.of(
              // Caddy/Traefik in front; the client adds the nginx form to reach /v1/data
              """
              GET /v1/authz
              X-Forwarded-Method: GET
              X-Forwarded-Uri: /v1/admin
              X-Original-URI: /v1/data/1
              """,
              // nginx in front; the client adds the forwarded form
              """
              GET /v1/authz
              X-Original-Method: DELETE
              X-Original-URI: /v1/data/1
              X-Forwarded-Method: GET
              X-Forwarded-Uri: /v1/data/1
              """,
              // method from one form, path from another: never mixed
              """
              GET /v1/authz
              X-Original-URI: /v1/data/1
              X-Forwarded-Method: GET
              """,
              // Envoy in front; the client adds a header form
              """
              DELETE /v1/authz/v1/data/1
              X-Original-URI: /v1/data/1
              """,
              """
              GET /v1/authz/v1/admin
              X-Forwarded-Method: GET
              X-Forwarded-Uri: /v1/data/1
              """);
      for (String request : refused) {
        assertThat(send(t, key, request).expectAuthz(400))
            .as(request)
            .isEqualTo("conflicting_original_request");
      }
      // the JSON form (Accept: application/json) explains, without echoing either path
      TestServer.Response json =
          send(
              t,
              key,
              """
              GET /v1/authz
              X-Forwarded-Method: GET
              X-Forwarded-Uri: /v1/admin
              X-Original-URI: /v1/data/1
              Accept: application/json
              """);
      assertThat(json.expect(400).path("error").asText()).isEqualTo("conflicting_original_request");
      assertThat(json.json().path("message").asText())
          .contains("KEYGATE_FORWARD_AUTH")
          .doesNotContain("/v1/data/1", "/v1/admin");
      assertThat(json.header("X-Keygate-Error")).isEqualTo("conflicting_original_request");
      // forms that agree are fine (method case aside)
      String request =
          """
          GET /v1/authz/v1/data/1
          X-Original-Method: get
          X-Original-URI: /v1/data/1
          X-Forwarded-Method: GET
          X-Forwarded-Uri: /v1/data/1
          """;
      assertThat(send(t, key, request).status()).isEqualTo(200);
    }
  }

  @Test
  void repeatedHeaderLines_withDifferentValues_areRefused() {
    try (TestServer t = servers.start(dir)) {
      String key = ruledKey(t);
      for (String header :
          List.of("X-Original-URI", "X-Original-Method", "X-Forwarded-Uri", "X-Keygate-Cost")) {
        String second =
            header.endsWith("Method") ? "DELETE" : header.endsWith("Cost") ? "9" : "/v1/admin";
        String first =
            header.endsWith("Method") ? "GET" : header.endsWith("Cost") ? "1" : "/v1/data/1";
        TestServer.Response r =
            t.raw(
                "GET /v1/authz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: "
                    + key
                    + "\r\n"
                    + (header.startsWith("X-Original") && !header.equals("X-Original-URI")
                        ? "X-Original-URI: /v1/data/1\r\n"
                        : "")
                    + header
                    + ": "
                    + first
                    + "\r\n"
                    + header
                    + ": "
                    + second
                    + "\r\n\r\n");
        assertThat(r.status()).as(header).isEqualTo(400);
        assertThat(r.header("X-Keygate-Error"))
            .isEqualTo(
                header.startsWith("X-Keygate")
                    ? "conflicting_authz_parameters"
                    : "conflicting_original_request");
      }
    }
  }

  @Test
  void namedModes_readOnlyTheirGatewaysForm_andIgnoreTheOthers() {
    try (TestServer nginx = start(dir.resolve("n"), ForwardAuth.NGINX)) {
      String key = ruledKey(nginx);
      // nginx passes the client's X-Forwarded-* through: ignored, the X-Original-* form decides
      String request =
          """
          GET /v1/authz
          X-Original-Method: GET
          X-Original-URI: /v1/admin
          X-Forwarded-Method: GET
          X-Forwarded-Uri: /v1/data/1
          """;
      assertThat(send(nginx, key, request).status()).isEqualTo(403);
      assertThat(viaNginx(nginx, key, "GET", "/v1/data/1").status()).isEqualTo(200);
      // another gateway's form alone: no original request, so rules fail closed
      TestServer.Response other =
          send(
              nginx,
              key,
              """
              GET /v1/authz
              X-Forwarded-Method: GET
              X-Forwarded-Uri: /v1/data/1
              Accept: application/json
              """);
      assertThat(other.status()).isEqualTo(403);
      assertThat(other.json().path("message").asText()).contains("no method and path");
      assertThat(viaEnvoy(nginx, key, "GET", "/v1/data/1").status()).isEqualTo(403);
    }
    try (TestServer forwarded = start(dir.resolve("f"), ForwardAuth.FORWARDED)) {
      String key = ruledKey(forwarded);
      // Caddy passes the client's X-Original-URI through (seen with caddy 2.6): ignored
      String request =
          """
          GET /v1/authz
          X-Forwarded-Method: GET
          X-Forwarded-Uri: /v1/admin
          X-Original-Method: GET
          X-Original-URI: /v1/data/1
          """;
      assertThat(send(forwarded, key, request).status()).isEqualTo(403);
      assertThat(viaForwarded(forwarded, key, "GET", "/v1/data/1").status()).isEqualTo(200);
      assertThat(viaNginx(forwarded, key, "GET", "/v1/data/1").status()).isEqualTo(403);
    }
    try (TestServer envoy = start(dir.resolve("e"), ForwardAuth.ENVOY)) {
      String key = ruledKey(envoy);
      String request =
          """
          DELETE /v1/authz/v1/data/1
          X-Original-Method: GET
          X-Original-URI: /v1/data/1
          """;
      assertThat(send(envoy, key, request).status())
          .as("Envoy's own method decides")
          .isEqualTo(403);
      assertThat(viaEnvoy(envoy, key, "GET", "/v1/data/1").status()).isEqualTo(200);
      assertThat(viaNginx(envoy, key, "GET", "/v1/data/1").status()).isEqualTo(403);
    }
  }

  @Test
  void operatorSettings_inQueryAndHeader_mustAgree_andTheClientsQueryNeverCounts() {
    try (TestServer t = servers.start(dir)) {
      String key =
          t.createKey("owner_id", "acme", "scopes", List.of("read")).path("api_key").asText();
      // Caddy's forward_auth keeps the client's query on the auth request: a client adding
      // ?scopes=read to escape the operator's header must be refused, not obeyed
      for (String[] h :
          List.of(
              new String[] {"/v1/authz?scopes=read", "X-Keygate-Required-Scopes", "admin"},
              new String[] {"/v1/authz?scopes_all=read", "X-Keygate-Required-Scopes-All", "admin"},
              new String[] {"/v1/authz?cost=1", "X-Keygate-Cost", "10"},
              new String[] {"/v1/authz?scopes=admin&scopes=read", "X-Unused", "x"})) {
        TestServer.Response r = authz(t, "GET", h[0], key, h[1], h[2]);
        assertThat(r.expectAuthz(400)).as(h[0]).isEqualTo("conflicting_authz_parameters");
      }
      assertThat(
              authz(t, "GET", "/v1/authz?scopes=read", key, "X-Keygate-Required-Scopes", "read")
                  .status())
          .isEqualTo(200);
      assertThat(authz(t, "GET", "/v1/authz?scopes=admin", key).status()).isEqualTo(403);
      assertThat(authz(t, "GET", "/v1/authz", key, "X-Keygate-Required-Scopes", "admin").status())
          .isEqualTo(403);
      // Envoy: the query is the client's own, so it neither sets nor conflicts with anything
      assertThat(
              authz(t, "GET", "/v1/authz/x?scopes=read", key, "X-Keygate-Required-Scopes", "admin")
                  .status())
          .isEqualTo(403);
      assertThat(authz(t, "GET", "/v1/authz/x?scopes=admin", key).status()).isEqualTo(200);
    }
  }

  @Test
  void refusedPaths_are400InvalidPath_throughEveryForm() {
    try (TestServer t = servers.start(dir)) {
      String key = ruledKey(t);
      for (String uri :
          List.of(
              "/v1/data/%2e%2e/admin",
              "/v1/data/..%2fadmin",
              "/v1/data/%252e%252e/admin",
              "/v1/data/..;/admin",
              "/v1/data/%C0%AE%C0%AE/admin",
              "/v1/data/a\\b",
              "/../v1/data",
              "v1/data")) {
        for (TestServer.Response r :
            List.of(viaNginx(t, key, "GET", uri), viaForwarded(t, key, "GET", uri))) {
          assertThat(r.expectAuthz(400)).as(uri).isEqualTo("invalid_path");
        }
      }
      TestServer.Response envoy =
          t.raw(
              "GET /v1/authz/v1/data/%2e%2e/admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  + "X-API-Key: "
                  + key
                  + "\r\n\r\n");
      assertThat(envoy.status()).isEqualTo(400);
      assertThat(envoy.header("X-Keygate-Error")).isEqualTo("invalid_path");
      assertThat(envoy.body()).isEmpty();
      TestServer.Response method = viaNginx(t, key, "G(T", "/v1/data/1");
      assertThat(method.expectAuthz(400)).isEqualTo("invalid_method");
    }
  }

  @Test
  void configuration_readsKeygateForwardAuth_andRefusesUnknownValues() {
    assertThat(ServerConfig.fromEnv(Map.of()).forwardAuth()).isEqualTo(ForwardAuth.AUTO);
    assertThat(ServerConfig.fromEnv(Map.of("KEYGATE_FORWARD_AUTH", "Envoy")).forwardAuth())
        .isEqualTo(ForwardAuth.ENVOY);
    assertThat(Settings.describe(Map.of("KEYGATE_FORWARD_AUTH", "forwarded")))
        .containsEntry("KEYGATE_FORWARD_AUTH", "forwarded");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ServerConfig.fromEnv(Map.of("KEYGATE_FORWARD_AUTH", "traefik")))
        .withMessageContaining("nginx, forwarded, envoy or auto");
  }
}
