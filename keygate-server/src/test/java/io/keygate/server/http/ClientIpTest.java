package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client IP behind forward auth: forwarding headers count only from trusted proxies. */
class ClientIpTest {
  private static final String CLIENT = "203.0.113.7";

  @TempDir Path dir;

  private static String keyAllowing(TestServer t, String cidr) {
    return t.createKey("owner_id", "acme", "ip_allowlist", List.of(cidr)).path("api_key").asText();
  }

  private static int authz(TestServer t, String key, String header, String value) {
    return t.req("GET", "/v1/authz")
        .token(null)
        .header("X-API-Key", key)
        .header(header, value)
        .send()
        .status();
  }

  @Test
  void loopbackProxyIsTrustedByDefault_soXForwardedForIsHonoured() {
    try (TestServer t = TestServer.start(dir)) {
      String key = keyAllowing(t, CLIENT + "/32");
      assertThat(authz(t, key, "X-Forwarded-For", CLIENT)).isEqualTo(200);
      assertThat(authz(t, key, "X-Forwarded-For", "198.51.100.1")).isEqualTo(403);
      assertThat(authz(t, key, "X-Real-IP", CLIENT)).isEqualTo(200);
      // right-most untrusted hop wins: a client cannot prepend a spoofed address
      assertThat(authz(t, key, "X-Forwarded-For", CLIENT + ", 127.0.0.1")).isEqualTo(200);
      assertThat(authz(t, key, "X-Forwarded-For", CLIENT + ", 198.51.100.1")).isEqualTo(403);
      // a malformed chain falls back to the peer (127.0.0.1), which the allowlist refuses
      assertThat(authz(t, key, "X-Forwarded-For", "not-an-ip")).isEqualTo(403);
    }
  }

  @Test
  void withoutTrustedProxies_forwardingHeadersAreIgnored() {
    try (TestServer t = TestServer.start(dir, c -> TestServer.withTrustedProxies(c, List.of()))) {
      String key = keyAllowing(t, CLIENT + "/32");
      assertThat(authz(t, key, "X-Forwarded-For", CLIENT)).isEqualTo(403);
      assertThat(authz(t, key, "X-Real-IP", CLIENT)).isEqualTo(403);

      String loopbackKey = keyAllowing(t, "127.0.0.1/32");
      assertThat(authz(t, loopbackKey, "X-Forwarded-For", CLIENT)).isEqualTo(200);
    }
  }

  @Test
  void auditRecordsTheForwardedClientIpOfAdminCalls() {
    try (TestServer t = TestServer.start(dir)) {
      String id =
          t.req("POST", "/v1/keys")
              .json(TestServer.map("owner_id", "acme"))
              .header("X-Forwarded-For", CLIENT)
              .send()
              .expect(201)
              .path("key_id")
              .asText();
      assertThat(
              t.get("/v1/audit?target_id=" + id)
                  .expect(200)
                  .path("data")
                  .get(0)
                  .path("source_ip")
                  .asText())
          .isEqualTo(CLIENT);
    }
  }
}
