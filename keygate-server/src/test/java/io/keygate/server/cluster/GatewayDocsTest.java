package io.keygate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.keygate.server.config.ForwardAuth;
import io.keygate.server.config.GrpcConfig;
import io.keygate.server.testing.EnvoyClient;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Traefik and Envoy configurations of {@code docs/deploy.md}. Neither gateway can be installed
 * on the test machine, so the test reads each block and sends a real Keygate node (in the {@code
 * KEYGATE_FORWARD_AUTH} mode the doc names) exactly the auth requests that gateway sends for it:
 *
 * <ul>
 *   <li>Traefik ForwardAuth: {@code GET} of the {@code address} as written; the client's headers
 *       named in {@code authRequestHeaders} copied; {@code X-Forwarded-Method}, {@code -Proto},
 *       {@code -Host}, {@code -Uri}, {@code -For} set by Traefik ({@code trustForwardHeader:
 *       false}).
 *   <li>Envoy ext_authz (HTTP service): the client's method on {@code path_prefix} + the original
 *       path and query; of the client's headers only {@code Authorization} and the {@code
 *       allowed_headers}; the {@code headers_to_add}.
 * </ul>
 *
 * Then it checks what the gateway would do with the answers: the identity headers the block lets
 * through, and refusals for wrong scopes, missing keys, endpoint rules, keys in the URL and a
 * client's forged headers of the other forms.
 *
 * <p>The Envoy gRPC and Istio blocks are parsed as YAML: the ext_authz filter ({@code
 * transport_api_version: V3}, {@code failure_mode_allow: false}) must name an HTTP/2 cluster on the
 * port the doc gives {@code KEYGATE_GRPC_PORT}, the route's {@code context_extensions} are sent in
 * real {@code CheckRequest}s, and Istio's CUSTOM policy must name the provider on that port.
 */
class GatewayDocsTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir Path dir;

  private static String mode(String gateway) throws IOException {
    Matcher m =
        Pattern.compile("### " + gateway + "\\n\\n`KEYGATE_FORWARD_AUTH=(\\w+)`")
            .matcher(Files.readString(Gateways.DEPLOY_DOC));
    assertThat(m.find()).as("### " + gateway + " names its KEYGATE_FORWARD_AUTH").isTrue();
    return m.group(1);
  }

  private static List<String> values(String block, String regex) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile(regex).matcher(block);
    while (m.find()) {
      out.add(m.group(1));
    }
    assertThat(out).as(regex).isNotEmpty();
    return out;
  }

  /** What a gateway needs to send one client request to Keygate. */
  @FunctionalInterface
  private interface Gateway {
    TestServer.Response authz(String method, String uri, Map<String, String> clientHeaders);
  }

  @Test
  void traefik_docConfig_asTraefikSendsIt() throws IOException {
    String block = Gateways.docBlock("yaml", "forwardAuth:");
    URI address = URI.create(values(block, "address: \"([^\"]+)\"").get(0));
    assertThat(block).contains("trustForwardHeader: false");
    List<String> passed = values(block, "(?m)^\\s+- (X-Keygate-[\\w-]+)$");
    List<String> copied =
        values(
            values(block, "authRequestHeaders:[^\\n]*\\n((?:\\s+- \\S+\\n)+)").get(0), "- (\\S+)");
    assertThat(copied).contains("X-API-Key", "Authorization");
    try (TestServer t = start(mode("Traefik"))) {
      Gateway traefik =
          (method, uri, client) -> {
            TestServer.Req r =
                t.req("GET", address.getRawPath() + "?" + address.getRawQuery()).token(null);
            client.forEach(
                (k, v) -> {
                  if (copied.contains(k)) {
                    r.header(k, v);
                  }
                });
            r.header("X-Forwarded-Method", method)
                .header("X-Forwarded-Proto", "https")
                .header("X-Forwarded-Host", "api.example.com")
                .header("X-Forwarded-Uri", uri)
                .header("X-Forwarded-For", "203.0.113.7");
            return r.send();
          };
      checkGateway(t, traefik, passed);
    }
  }

  @Test
  void envoy_docConfig_asEnvoySendsIt() throws IOException {
    String block = Gateways.docBlock("yaml", "ext_authz");
    String prefix = values(block, "path_prefix: (\\S+)").get(0);
    List<String> allowed = values(block, "- exact: (x-[\\w-]+)");
    Map<String, String> added = new LinkedHashMap<>();
    Matcher m = Pattern.compile("- key: (\\S+)\\n\\s+value: (\\S+)").matcher(block);
    while (m.find()) {
      added.put(m.group(1), m.group(2));
    }
    assertThat(added).containsKey("X-Keygate-Required-Scopes");
    assertThat(allowed).contains("x-api-key", "x-forwarded-for");
    List<String> passed = values(block, "- exact: (x-keygate-[\\w-]+)");
    try (TestServer t = start(mode("Envoy"))) {
      Gateway envoy =
          (method, uri, client) -> {
            TestServer.Req r = t.req(method, prefix + uri).token(null);
            client.forEach(
                (k, v) -> {
                  if (k.equalsIgnoreCase("Authorization") || allowed.contains(k.toLowerCase())) {
                    r.header(k, v);
                  }
                });
            added.forEach(r::header);
            return r.send();
          };
      checkGateway(t, envoy, passed);
      // Envoy appends the client's query: it never sets the required scopes
      String writer = key(t, List.of("write"));
      assertThat(envoy.authz("GET", "/orders/1?scopes=write", Map.of("X-API-Key", writer)).status())
          .isEqualTo(403);
    }
  }

  @Test
  void envoyGrpc_docConfig_parses_namesKeygatesServiceAndPort_andIsAnsweredAsEnvoyAsks()
      throws IOException {
    JsonNode doc = YAML.readTree(Gateways.docBlock("yaml", "grpc_service"));
    JsonNode hcm = doc.at("/static_resources/listeners/0/filter_chains/0/filters/0/typed_config");
    JsonNode authz = hcm.path("http_filters").path(0);
    assertThat(authz.path("name").asText()).isEqualTo("envoy.filters.http.ext_authz");
    JsonNode cfg = authz.path("typed_config");
    assertThat(cfg.path("@type").asText())
        .isEqualTo("type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz");
    assertThat(cfg.path("transport_api_version").asText()).isEqualTo("V3");
    assertThat(cfg.path("failure_mode_allow").isBoolean()).isTrue();
    assertThat(cfg.path("failure_mode_allow").asBoolean()).isFalse();
    String clusterName = cfg.at("/grpc_service/envoy_grpc/cluster_name").asText();
    JsonNode cluster = null;
    for (JsonNode c : doc.at("/static_resources/clusters")) {
      if (c.path("name").asText().equals(clusterName)) {
        cluster = c;
      }
    }
    assertThat(cluster).as("cluster " + clusterName).isNotNull();
    assertThat(
            cluster
                .at(
                    "/typed_extension_protocol_options/envoy.extensions.upstreams.http.v3.HttpProtocolOptions/explicit_http_config/http2_protocol_options")
                .isObject())
        .as("gRPC needs HTTP/2 to Keygate")
        .isTrue();
    int port =
        cluster
            .at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address")
            .path("port_value")
            .asInt();
    Matcher env =
        Pattern.compile("`KEYGATE_GRPC_PORT=(\\d+)").matcher(Files.readString(Gateways.DEPLOY_DOC));
    assertThat(env.find()).as("the doc names KEYGATE_GRPC_PORT").isTrue();
    assertThat(port)
        .as("the cluster's port is Keygate's gRPC port")
        .isEqualTo(Integer.parseInt(env.group(1)));
    JsonNode route = hcm.at("/route_config/virtual_hosts/0/routes/0");
    JsonNode settings =
        route.at(
            "/typed_per_filter_config/envoy.filters.http.ext_authz/check_settings/context_extensions");
    assertThat(settings.path("scopes").asText()).isEqualTo("read");
    assertThat(route.path("request_headers_to_remove").toString()).contains("x-api-key");

    try (TestServer t = servers.start(dir, c -> c, b -> b.grpc(new GrpcConfig(null, 0)));
        EnvoyClient envoy = new EnvoyClient(t.server.grpcPort())) {
      String reader = key(t, List.of("read"));
      String writer = key(t, List.of("write"));
      Function<String, EnvoyClient.Answer> check =
          k -> {
            EnvoyClient.Check c =
                EnvoyClient.request("GET", "/orders/1?page=2", "203.0.113.7")
                    .header("x-api-key", k);
            settings.fields().forEachRemaining(e -> c.setting(e.getKey(), e.getValue().asText()));
            return envoy.check(c.build());
          };
      assertThat(check.apply(reader).allowed()).isTrue();
      assertThat(check.apply(writer).status()).as("the route's required scope").isEqualTo(403);
    }
  }

  @Test
  void istio_docConfig_parses_andThePolicyNamesTheProviderOfKeygatesGrpcPort() throws IOException {
    String block = Gateways.docBlock("yaml", "envoyExtAuthzGrpc");
    List<JsonNode> docs = YAML.readValues(YAML.createParser(block), JsonNode.class).readAll();
    assertThat(docs).hasSize(2);
    JsonNode provider = docs.get(0).at("/spec/meshConfig/extensionProviders/0");
    JsonNode grpc = provider.path("envoyExtAuthzGrpc");
    Matcher env =
        Pattern.compile("`KEYGATE_GRPC_PORT=(\\d+)").matcher(Files.readString(Gateways.DEPLOY_DOC));
    assertThat(env.find()).isTrue();
    assertThat(grpc.path("port").asInt()).isEqualTo(Integer.parseInt(env.group(1)));
    assertThat(grpc.path("service").asText()).startsWith("keygate.");
    assertThat(grpc.path("failOpen").asBoolean(true)).isFalse();
    JsonNode policy = docs.get(1);
    assertThat(policy.path("kind").asText()).isEqualTo("AuthorizationPolicy");
    assertThat(policy.at("/spec/action").asText()).isEqualTo("CUSTOM");
    assertThat(policy.at("/spec/provider/name").asText()).isEqualTo(provider.path("name").asText());
  }

  private TestServer start(String mode) {
    ForwardAuth f = ForwardAuth.parse(mode);
    return servers.start(dir, c -> c.withGateway(c.trustedProxies(), f));
  }

  private static String key(TestServer t, List<String> scopes) {
    return t.createKey("owner_id", "acme", "scopes", scopes).path("api_key").asText();
  }

  private static void checkGateway(TestServer t, Gateway g, List<String> passedHeaders) {
    String reader = key(t, List.of("read"));
    String writer = key(t, List.of("write"));
    String ruled = key(t, List.of("read", "GET /orders/**"));

    TestServer.Response ok = g.authz("GET", "/orders/1?page=2", Map.of("X-API-Key", reader));
    assertThat(ok.status()).isEqualTo(200);
    for (String h : passedHeaders) {
      assertThat(ok.header(h)).as(h).isNotBlank();
    }
    assertThat(g.authz("GET", "/orders/1", Map.of("Authorization", "Bearer " + reader)).status())
        .isEqualTo(200);
    assertThat(g.authz("GET", "/orders/1", Map.of("X-API-Key", writer)).status())
        .as("the required scope the block sets")
        .isEqualTo(403);
    assertThat(g.authz("GET", "/orders/1", Map.of()).status()).isEqualTo(401);

    assertThat(g.authz("GET", "/orders/1", Map.of("X-API-Key", ruled)).status()).isEqualTo(200);
    assertThat(g.authz("DELETE", "/orders/1", Map.of("X-API-Key", ruled)).status()).isEqualTo(403);
    assertThat(g.authz("GET", "/orders/../admin", Map.of("X-API-Key", ruled)).status())
        .isEqualTo(403);
    assertThat(
            g.authz(
                    "GET",
                    "/admin",
                    Map.of(
                        "X-API-Key",
                        ruled,
                        "X-Original-URI",
                        "/orders/1",
                        "X-Original-Method",
                        "GET"))
                .status())
        .as("a client's header of another form")
        .isEqualTo(403);
    TestServer.Response bad = g.authz("GET", "/orders/%2e%2e/admin", Map.of("X-API-Key", ruled));
    assertThat(bad.expectAuthz(400)).isEqualTo("invalid_path");
    TestServer.Response inUrl = g.authz("GET", "/orders?api_key=" + reader, Map.of());
    assertThat(inUrl.expectAuthz(403)).isEqualTo("api_key_in_url");
  }
}
