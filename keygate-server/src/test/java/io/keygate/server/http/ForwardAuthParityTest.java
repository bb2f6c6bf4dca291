package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.server.config.GrpcConfig;
import io.keygate.server.testing.EnvoyClient;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HTTP {@code /v1/authz} (nginx form) and Envoy ext_authz over gRPC give the same status and the
 * same gateway headers for the same request: table-driven, each row run on each front with keys of
 * its own made the same way, from its own client address.
 */
class ForwardAuthParityTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir static Path dir;
  static TestServer t;
  static EnvoyClient envoy;
  static int nextIp = 1;

  /** How a row's key is made: the fields of its create request, or a credential that is no key. */
  record KeySpec(String label, Function<TestServer, String> make) {
    @Override
    public String toString() {
      return label;
    }
  }

  /**
   * One row.
   *
   * @param key the key presented (null: none)
   * @param header the header carrying it ({@code X-API-Key} or {@code Authorization})
   * @param path the original request's path (the key replaces {@code {key}})
   * @param scopes required scopes set by the operator (null: none)
   * @param clientIp the client's address, or null for a fresh one per front and row
   * @param times how often the request is sent; the last answer is compared
   */
  record Row(
      String name,
      KeySpec key,
      String header,
      String path,
      String scopes,
      String clientIp,
      int times) {
    @Override
    public String toString() {
      return name;
    }
  }

  static KeySpec key(String label, Object... fields) {
    return new KeySpec(label, s -> s.createKey(fields).path("api_key").asText());
  }

  static List<Row> rows() {
    KeySpec plain = key("plain", "owner_id", "acme", "scopes", List.of("read"));
    KeySpec revoked =
        new KeySpec(
            "revoked",
            s -> {
              var k = s.createKey("owner_id", "acme");
              s.post("/v1/keys/" + k.path("key_id").asText() + "/revoke", Map.of()).expect(200);
              return k.path("api_key").asText();
            });
    KeySpec allowlisted =
        key("allowlisted", "owner_id", "acme", "ip_allowlist", List.of("10.0.0.0/8"));
    KeySpec limited =
        key(
            "limited",
            "owner_id",
            "acme",
            "rate_limits",
            List.of(Map.of("name", "tiny", "requests", 2, "window", 60)));
    KeySpec admin = new KeySpec("admin token", s -> s.adminToken);
    KeySpec garbage = new KeySpec("garbage", s -> "sk_live_notAKeyAtAll");
    String x = "X-API-Key";
    return List.of(
        new Row("valid", plain, x, "/orders?page=2", null, null, 1),
        new Row("valid bearer", plain, "Authorization", "/orders", null, null, 1),
        new Row("valid with scope", plain, x, "/orders", "read", null, 1),
        new Row("missing key", null, x, "/orders", null, null, 1),
        new Row("invalid key", garbage, x, "/orders", null, null, 1),
        new Row("revoked", revoked, x, "/orders", null, null, 1),
        new Row("wrong scope", plain, x, "/admin", "admin", null, 1),
        new Row("ip allowed", allowlisted, x, "/orders", null, "10.9.8.7", 1),
        new Row("ip not allowed", allowlisted, x, "/orders", null, null, 1),
        new Row("rate limit admitted", limited, x, "/orders", null, null, 2),
        new Row("rate limited", limited, x, "/orders", null, null, 3),
        new Row("key in url", plain, x, "/orders?api_key={key}", null, null, 1),
        new Row("invalid path", plain, x, "/a/%2e%2e/admin", null, null, 1),
        new Row("admin token", admin, "Authorization", "/orders", null, null, 1));
  }

  @BeforeAll
  static void start() {
    t = servers.start(dir, c -> c, b -> b.grpc(new GrpcConfig(null, 0)));
    envoy = new EnvoyClient(t.server.grpcPort());
  }

  @AfterAll
  static void stop() {
    envoy.close();
    t.close();
  }

  /** The gateway headers of an answer, by lower-case name (Content-Type and the like left out). */
  static Map<String, String> gatewayHeaders(Map<String, String> all) {
    Map<String, String> m = new TreeMap<>();
    all.forEach(
        (name, value) -> {
          String n = name.toLowerCase(Locale.ROOT);
          if (n.startsWith("x-keygate-")
              || n.startsWith("ratelimit-")
              || n.equals("www-authenticate")
              || n.equals("retry-after")) {
            m.put(n, value);
          }
        });
    return m;
  }

  static synchronized String freshIp() {
    return "198.51.100." + nextIp++;
  }

  record Seen(int status, Map<String, String> headers) {}

  static Seen viaHttp(Row r, String raw, String ip) {
    TestServer.Response last = null;
    for (int i = 0; i < r.times(); i++) {
      TestServer.Req q =
          t.req("GET", "/v1/authz")
              .token(null)
              .header("X-Original-Method", "GET")
              .header("X-Original-URI", r.path().replace("{key}", raw == null ? "" : raw))
              .header("X-Forwarded-For", ip);
      if (raw != null) {
        q.header(r.header(), r.header().equals("Authorization") ? "Bearer " + raw : raw);
      }
      if (r.scopes() != null) {
        q.header("X-Keygate-Required-Scopes", r.scopes());
      }
      last = q.send();
    }
    Map<String, String> h = new TreeMap<>();
    last.headers().forEach((k, v) -> h.put(k, v.get(0)));
    return new Seen(last.status(), gatewayHeaders(h));
  }

  static Seen viaGrpc(Row r, String raw, String ip) {
    EnvoyClient.Answer last = null;
    for (int i = 0; i < r.times(); i++) {
      EnvoyClient.Check c =
          EnvoyClient.request("GET", r.path().replace("{key}", raw == null ? "" : raw), ip);
      if (raw != null) {
        c.header(r.header(), r.header().equals("Authorization") ? "Bearer " + raw : raw);
      }
      if (r.scopes() != null) {
        c.setting("scopes", r.scopes());
      }
      last = envoy.check(c.build());
    }
    return new Seen(last.status(), gatewayHeaders(last.headers()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void httpAndGrpc_giveTheSameStatusAndHeaders(Row r) {
    String httpKey = r.key() == null ? null : r.key().make().apply(t);
    String grpcKey = r.key() == null ? null : r.key().make().apply(t);
    Seen http = viaHttp(r, httpKey, r.clientIp() != null ? r.clientIp() : freshIp());
    Seen grpc = viaGrpc(r, grpcKey, r.clientIp() != null ? r.clientIp() : freshIp());
    assertThat(grpc.status()).as("status").isEqualTo(http.status());
    // the key ids differ (each front has its own key); every other header is equal
    assertThat(grpc.headers().keySet()).isEqualTo(http.headers().keySet());
    grpc.headers().remove("x-keygate-key-id");
    http.headers().remove("x-keygate-key-id");
    assertThat(grpc.headers()).isEqualTo(http.headers());
    assertThat(http.headers()).as("a gateway answer names its outcome").isNotEmpty();
  }
}
