package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The client IP behind forward auth: forwarding headers count only from trusted proxies. */
class ClientIpTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

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
    try (TestServer t = servers.start(dir)) {
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
    try (TestServer t = servers.start(dir, c -> TestServer.withTrustedProxies(c, List.of()))) {
      String key = keyAllowing(t, CLIENT + "/32");
      assertThat(authz(t, key, "X-Forwarded-For", CLIENT)).isEqualTo(403);
      assertThat(authz(t, key, "X-Real-IP", CLIENT)).isEqualTo(403);

      String loopbackKey = keyAllowing(t, "127.0.0.1/32");
      assertThat(authz(t, loopbackKey, "X-Forwarded-For", CLIENT)).isEqualTo(200);
    }
  }

  @Test
  void everyForwardedForLine_isRead_soAClientLineBeforeTheProxysCannotWin() {
    try (TestServer t = servers.start(dir)) {
      String key = keyAllowing(t, "10.0.0.0/8");
      // The client sent "X-Forwarded-For: 10.9.9.9"; its proxy added its own line after it.
      TestServer.Response r =
          t.raw(
              "GET /v1/authz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: "
                  + key
                  + "\r\nX-Forwarded-For: 10.9.9.9\r\nX-Forwarded-For: "
                  + CLIENT
                  + "\r\n\r\n");
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.header("X-Keygate-Error")).isEqualTo("ip_not_allowed");
      assertThat(
              t.raw(
                      "GET /v1/authz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: "
                          + key
                          + "\r\nX-Forwarded-For: "
                          + CLIENT
                          + "\r\nX-Forwarded-For: 10.9.9.9, 127.0.0.1\r\n\r\n")
                  .status())
          .isEqualTo(200);
    }
  }

  @Test
  void clientSpellings_ofOneAddress_areOneAddress() {
    try (TestServer t = servers.start(dir)) {
      String key = keyAllowing(t, CLIENT + "/32");
      for (String spelling :
          List.of("::ffff:" + CLIENT, "[::ffff:" + CLIENT + "]", "::FFFF:cb00:7107")) {
        assertThat(authz(t, key, "X-Forwarded-For", spelling)).as(spelling).isEqualTo(200);
      }
      for (String ambiguous : List.of("203.0.113.07", "203.0.29447", "3405803783")) {
        assertThat(authz(t, key, "X-Forwarded-For", ambiguous)).as(ambiguous).isEqualTo(403);
      }
    }
  }

  /**
   * Jetty reports an IPv6 peer as {@code [0:0:0:0:0:0:0:1]}: the default trusted proxy {@code
   * ::1/128} and IPv6 allowlists must still match it (they could not before).
   */
  @Test
  void ipv6Peer_isTrustedAndAllowlisted() throws Exception {
    try (TestServer t = servers.start(dir, c -> c.withNetwork("::", 0))) {
      String viaProxy = keyAllowing(t, CLIENT + "/32");
      String direct = keyAllowing(t, "::1");
      assertThat(overIpv6(t, viaProxy, "X-Forwarded-For: " + CLIENT)).startsWith("HTTP/1.1 200");
      assertThat(overIpv6(t, direct, "X-Real-IP: ::1")).startsWith("HTTP/1.1 200");
      assertThat(overIpv6(t, direct, "X-Forwarded-For: " + CLIENT)).startsWith("HTTP/1.1 403");
    }
  }

  private static String overIpv6(TestServer t, String key, String header) throws Exception {
    try (Socket s = new Socket("::1", t.server.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write(
              ("GET /v1/authz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-API-Key: "
                      + key
                      + "\r\n"
                      + header
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  @Test
  void ipv6Clients_areCountedPer64_overHttp() {
    try (TestServer t = servers.start(dir)) {
      String good = t.createKey("owner_id", "acme").path("api_key").asText();
      int threshold = t.server.keygate().verifier().bruteForce().policy().threshold();
      for (int i = 1; i <= threshold; i++) {
        String ip = "2001:db8:5:6:" + Integer.toHexString(i) + "::" + Integer.toHexString(i);
        assertThat(authz(t, "sk_live_guess" + i, "X-Forwarded-For", ip)).as(ip).isEqualTo(401);
      }
      assertThat(authz(t, good, "X-Forwarded-For", "2001:db8:5:6:ffff::1")).isEqualTo(429);
      assertThat(authz(t, good, "X-Forwarded-For", "2001:db8:5:7::1")).isEqualTo(200);
      t.server.keygate().flushUsage();
      assertThat(t.get("/v1/audit?limit=50").expect(200).path("data").findValuesAsText("ip"))
          .contains("2001:db8:5:6::/64");
    }
  }

  @Test
  void auditRecordsTheForwardedClientIpOfAdminCalls() {
    try (TestServer t = servers.start(dir)) {
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
