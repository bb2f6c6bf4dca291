package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

class ClientIpResolverTest {
  private static MockHttpServletRequest from(String peer, String xff) {
    MockHttpServletRequest r = new MockHttpServletRequest("GET", "/");
    r.setRemoteAddr(peer);
    if (xff != null) {
      r.addHeader("X-Forwarded-For", xff);
    }
    return r;
  }

  @Test
  void resolve_noTrustedProxies_ignoresForwardedFor() {
    ClientIpResolver ips = new ClientIpResolver(List.of());
    assertThat(ips.resolve(from("198.51.100.9", "203.0.113.7"))).isEqualTo("198.51.100.9");
  }

  @Test
  void resolve_untrustedPeer_cannotSpoofWithForwardedFor() {
    ClientIpResolver ips = new ClientIpResolver(List.of("10.0.0.0/8"));
    assertThat(ips.resolve(from("198.51.100.9", "203.0.113.7"))).isEqualTo("198.51.100.9");
  }

  @Test
  void resolve_trustedPeer_takesRightMostUntrustedHop() {
    ClientIpResolver ips = new ClientIpResolver(List.of("10.0.0.0/8"));
    assertThat(ips.resolve(from("10.0.0.2", "1.2.3.4, 203.0.113.7, 10.0.0.9")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void resolve_everyHopTrusted_takesLeftMost() {
    ClientIpResolver ips = new ClientIpResolver(List.of("10.0.0.0/8"));
    assertThat(ips.resolve(from("10.0.0.2", "10.1.1.1, 10.0.0.9"))).isEqualTo("10.1.1.1");
  }

  @Test
  void resolve_malformedHop_fallsBackToPeer() {
    ClientIpResolver ips = new ClientIpResolver(List.of("10.0.0.0/8"));
    assertThat(ips.resolve(from("10.0.0.2", "evil.example, 10.0.0.9"))).isEqualTo("10.0.0.2");
    assertThat(ips.resolve(from("10.0.0.2", null))).isEqualTo("10.0.0.2");
  }

  @Test
  void resolve_ipv6TrustedProxy() {
    ClientIpResolver ips = new ClientIpResolver(List.of("::1/128"));
    assertThat(ips.resolve(from("0:0:0:0:0:0:0:1", "2001:db8::5"))).isEqualTo("2001:db8::5");
  }
}
