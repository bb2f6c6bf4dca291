package io.keygate.core.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientIpResolverTest {
  private static final ClientIpResolver TRUST_10 = new ClientIpResolver(List.of("10.0.0.0/8"));

  /** Header lines as a container reports them: name → lines, in order. */
  private static final class Lines {
    final Map<String, List<String>> byName = new LinkedHashMap<>();

    Lines add(String name, String value) {
      byName.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
      return this;
    }

    List<String> get(String name) {
      return byName.getOrDefault(name, List.of());
    }
  }

  private static String resolve(ClientIpResolver r, String peer, Lines lines) {
    return r.resolve(peer, lines::get);
  }

  private static Lines xff(String... lines) {
    Lines l = new Lines();
    for (String s : lines) {
      l.add("X-Forwarded-For", s);
    }
    return l;
  }

  @Test
  void noTrustedProxies_ignoresEveryForwardingHeader() {
    ClientIpResolver none = new ClientIpResolver(List.of());
    Lines spoof = xff("203.0.113.7").add("X-Real-IP", "203.0.113.8");
    assertThat(resolve(none, "198.51.100.9", spoof)).isEqualTo("198.51.100.9");
    assertThat(resolve(new ClientIpResolver(null), "198.51.100.9", spoof))
        .isEqualTo("198.51.100.9");
  }

  @Test
  void untrustedPeer_cannotSpoofWithForwardingHeaders() {
    assertThat(resolve(TRUST_10, "198.51.100.9", xff("10.0.0.7"))).isEqualTo("198.51.100.9");
    assertThat(resolve(TRUST_10, "198.51.100.9", new Lines().add("X-Real-IP", "10.0.0.7")))
        .isEqualTo("198.51.100.9");
  }

  @Test
  void trustedPeer_takesTheRightMostUntrustedHop() {
    assertThat(resolve(TRUST_10, "10.0.0.2", xff("1.2.3.4, 203.0.113.7, 10.0.0.9")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void everyHeaderLine_isRead_inOrder_asOneChain() {
    // A proxy that adds its own line after the client's: the client's line must not win.
    assertThat(resolve(TRUST_10, "10.0.0.2", xff("198.51.100.66", "203.0.113.7")))
        .isEqualTo("203.0.113.7");
    assertThat(resolve(TRUST_10, "10.0.0.2", xff("198.51.100.66", "203.0.113.7, 10.0.0.9")))
        .isEqualTo("203.0.113.7");
    assertThat(resolve(TRUST_10, "10.0.0.2", xff("198.51.100.66, 10.1.1.1", "10.0.0.9")))
        .isEqualTo("198.51.100.66");
  }

  @Test
  void garbageLeftOfTheClient_isNeverRead() {
    for (String chain : List.of(", 203.0.113.7", "evil, 203.0.113.7", "1.2.3.4:5, 203.0.113.7")) {
      assertThat(resolve(TRUST_10, "10.0.0.2", xff(chain))).as(chain).isEqualTo("203.0.113.7");
    }
  }

  @Test
  void everyHopTrusted_takesTheLeftMost() {
    assertThat(resolve(TRUST_10, "10.0.0.2", xff("10.1.1.1, 10.0.0.9"))).isEqualTo("10.1.1.1");
  }

  @Test
  void malformedChain_fallsBackToThePeer() {
    for (String chain :
        List.of(
            "evil.example, 10.0.0.9",
            "unknown",
            "203.0.113.7:4711",
            "203.0.113.7,",
            "203.0.113.7,,10.0.0.9",
            "010.0.0.1",
            "[2001:db8::1]:443")) {
      assertThat(resolve(TRUST_10, "10.0.0.2", xff(chain))).as(chain).isEqualTo("10.0.0.2");
    }
  }

  @Test
  void hopsAndPeers_areNormalised() {
    ClientIpResolver v6 = new ClientIpResolver(List.of("::1/128", "10.0.0.0/8"));
    // Jetty reports IPv6 peers bracketed and uncompressed.
    assertThat(resolve(v6, "[0:0:0:0:0:0:0:1]", xff("2001:DB8:0:0:0:0:0:5")))
        .isEqualTo("2001:db8::5");
    assertThat(resolve(v6, "[0:0:0:0:0:0:0:1]", new Lines())).isEqualTo("::1");
    assertThat(resolve(v6, "::ffff:10.0.0.2", xff("::ffff:203.0.113.7"))).isEqualTo("203.0.113.7");
    assertThat(resolve(v6, "10.0.0.2", xff("fe80::1%eth0"))).isEqualTo("fe80::1");
    assertThat(resolve(v6, "198.51.100.9", new Lines())).isEqualTo("198.51.100.9");
  }

  @Test
  void realIp_countsOnlyWithoutForwardedFor_andOnlyWhenUnambiguous() {
    assertThat(resolve(TRUST_10, "10.0.0.2", new Lines().add("X-Real-IP", "203.0.113.7")))
        .isEqualTo("203.0.113.7");
    assertThat(
            resolve(
                TRUST_10,
                "10.0.0.2",
                new Lines().add("X-Real-IP", "203.0.113.7").add("X-Real-IP", "203.0.113.8")))
        .isEqualTo("10.0.0.2");
    assertThat(resolve(TRUST_10, "10.0.0.2", xff("198.51.100.1").add("X-Real-IP", "203.0.113.7")))
        .isEqualTo("198.51.100.1");
    assertThat(resolve(TRUST_10, "10.0.0.2", new Lines().add("X-Real-IP", "not-an-ip")))
        .isEqualTo("10.0.0.2");
  }

  @Test
  void peerThatIsNoIpLiteral_isNull() {
    assertThat(resolve(TRUST_10, "unix:/run/keygate.sock", xff("203.0.113.7"))).isNull();
    assertThat(resolve(TRUST_10, null, new Lines())).isNull();
  }

  @Test
  void badTrustedProxyEntry_isRefused() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new ClientIpResolver(List.of("10.0.0.0/8", "proxy.internal")))
        .withMessageContaining("proxy.internal");
  }
}
