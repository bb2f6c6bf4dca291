package io.keygate.core.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpAllowlistTest {

  @Test
  void contains_matchesAddressBytes_ignoresScopeIds_andTheEmptyListContainsNothing()
      throws IOException {
    IpAllowlist l = IpAllowlist.parse(List.of("10.0.0.0/8", "fe80::/10", "::1"));
    assertThat(l.contains(InetAddress.getByName("10.200.0.1"))).isTrue();
    assertThat(l.contains(InetAddress.getByName("::ffff:10.0.0.1"))).isTrue();
    assertThat(l.contains(InetAddress.getByName("fe80::1%1"))).isTrue();
    assertThat(l.contains(InetAddress.getByName("::1"))).isTrue();
    assertThat(l.contains(InetAddress.getByName("11.0.0.1"))).isFalse();
    assertThat(l.contains(InetAddress.getByName("::2"))).isFalse();
    assertThat(IpAllowlist.parse(List.of()).contains(InetAddress.getByName("10.0.0.1"))).isFalse();
  }

  private static IpAllowlist of(String... entries) {
    return IpAllowlist.parse(List.of(entries));
  }

  @Test
  void emptyList_allowsAnything_includingNullAndGarbage() {
    IpAllowlist any = IpAllowlist.parse(List.of());
    assertThat(any.allowsAny()).isTrue();
    assertThat(any.allows("203.0.113.7")).isTrue();
    assertThat(any.allows(null)).isTrue();
    assertThat(IpAllowlist.parse(null).allowsAny()).isTrue();
  }

  @Test
  void nonEmptyList_deniesNullAndUnparseableIps() {
    IpAllowlist l = of("0.0.0.0/0", "::/0");
    assertThat(l.allowsAny()).isFalse();
    assertThat(l.allows(null)).isFalse();
    assertThat(l.allows("")).isFalse();
    assertThat(l.allows("localhost")).isFalse();
    assertThat(l.allows("1.2.3")).isFalse();
  }

  @Test
  void exactIpv4_matchesOnlyThatAddress() {
    IpAllowlist l = of("203.0.113.7");
    assertThat(l.allows("203.0.113.7")).isTrue();
    assertThat(l.allows("203.0.113.8")).isFalse();
    assertThat(l.allows("203.0.113.6")).isFalse();
  }

  @Test
  void exactIpv6_matchesEquivalentSpellings() {
    IpAllowlist l = of("2001:db8::1");
    assertThat(l.allows("2001:db8::1")).isTrue();
    assertThat(l.allows("2001:0db8:0000:0000:0000:0000:0000:0001")).isTrue();
    assertThat(l.allows("2001:DB8::1")).isTrue();
    assertThat(l.allows("2001:db8::2")).isFalse();
  }

  @Test
  void cidr24_boundaries() {
    IpAllowlist l = of("10.1.2.0/24");
    assertThat(l.allows("10.1.2.0")).isTrue();
    assertThat(l.allows("10.1.2.255")).isTrue();
    assertThat(l.allows("10.1.1.255")).isFalse();
    assertThat(l.allows("10.1.3.0")).isFalse();
  }

  @Test
  void cidrNonByteAligned_boundaries() {
    IpAllowlist l = of("192.168.0.64/26");
    assertThat(l.allows("192.168.0.63")).isFalse();
    assertThat(l.allows("192.168.0.64")).isTrue();
    assertThat(l.allows("192.168.0.127")).isTrue();
    assertThat(l.allows("192.168.0.128")).isFalse();
  }

  @Test
  void cidrWithHostBitsSet_matchesTheNetwork() {
    IpAllowlist l = of("10.1.2.99/24");
    assertThat(l.allows("10.1.2.1")).isTrue();
    assertThat(l.allows("10.1.3.1")).isFalse();
  }

  @Test
  void cidr32_isExact_andCidr0_isEveryIpv4() {
    assertThat(of("198.51.100.1/32").allows("198.51.100.1")).isTrue();
    assertThat(of("198.51.100.1/32").allows("198.51.100.2")).isFalse();
    IpAllowlist all4 = of("0.0.0.0/0");
    assertThat(all4.allows("0.0.0.0")).isTrue();
    assertThat(all4.allows("255.255.255.255")).isTrue();
    assertThat(all4.allows("2001:db8::1")).isFalse();
  }

  @Test
  void cidr128_isExact_andIpv6Cidr0_isEveryIpv6() {
    assertThat(of("2001:db8::5/128").allows("2001:db8::5")).isTrue();
    assertThat(of("2001:db8::5/128").allows("2001:db8::4")).isFalse();
    IpAllowlist all6 = of("::/0");
    assertThat(all6.allows("::1")).isTrue();
    assertThat(all6.allows("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).isTrue();
    assertThat(all6.allows("10.0.0.1")).isFalse();
  }

  @Test
  void cidr48_boundaries() {
    IpAllowlist l = of("2001:db8:abcd::/48");
    assertThat(l.allows("2001:db8:abcd::")).isTrue();
    assertThat(l.allows("2001:db8:abcd:ffff:ffff:ffff:ffff:ffff")).isTrue();
    assertThat(l.allows("2001:db8:abcc:ffff:ffff:ffff:ffff:ffff")).isFalse();
    assertThat(l.allows("2001:db8:abce::")).isFalse();
  }

  @Test
  void ipv4MappedIpv6_matchesIpv4Entries() {
    IpAllowlist l = of("10.0.0.0/8");
    assertThat(l.allows("::ffff:10.20.30.40")).isTrue();
    assertThat(l.allows("::ffff:11.0.0.1")).isFalse();
    assertThat(of("::ffff:192.0.2.1").allows("192.0.2.1")).isTrue();
  }

  @Test
  void multipleEntries_anyMatchAllows() {
    IpAllowlist l = of("203.0.113.7", "10.0.0.0/8", "2001:db8::/32");
    assertThat(l.allows("10.255.0.1")).isTrue();
    assertThat(l.allows("2001:db8:1::1")).isTrue();
    assertThat(l.allows("203.0.113.7")).isTrue();
    assertThat(l.allows("192.0.2.1")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "localhost",
        "example.com",
        "cafe",
        "dead.beef",
        "face.b00c.de.ad",
        "deadbeef",
        "[::1]",
        "fe80::1%eth0",
        "http://10.0.0.1"
      })
  void parse_hostNamesAndNonLiterals_areRejected(String entry) {
    assertThatIllegalArgumentException().isThrownBy(() -> of(entry));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "1",
        "1.2",
        "1.2.3",
        "1.2.3.4.5",
        "256.0.0.1",
        "1.2.3.-4",
        "1..2.3",
        "::g",
        "1:2:3:4:5:6:7:8:9",
        "12345::",
        ".:1",
        ".1.2.3:"
      })
  void parse_garbage_isRejected(String entry) {
    assertThatIllegalArgumentException().isThrownBy(() -> of(entry));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/x", "::/129", "::/1.5"})
  void parse_badPrefixLength_isRejected(String entry) {
    assertThatIllegalArgumentException().isThrownBy(() -> of(entry));
  }

  @Test
  void parse_null_entry_isRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> IpAllowlist.parse(Arrays.asList("10.0.0.1", null)));
  }

  @Test
  void parse_namesTheBadEntry() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> of("10.0.0.1", "evil.example"))
        .withMessageContaining("evil.example");
  }

  @Test
  void clientSpellings_ofOneAddress_matchTheSameEntries() {
    IpAllowlist l = of("2001:db8::1", "192.0.2.7");
    for (String ip :
        List.of(
            "[2001:db8::1]",
            "2001:DB8:0:0:0:0:0:1",
            "2001:db8::1%eth0",
            "::ffff:192.0.2.7",
            "::ffff:c000:207",
            "[::ffff:192.0.2.7]")) {
      assertThat(l.allows(ip)).as(ip).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "010.0.0.1",
        "192.0.2.07",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
        "::ffff:192.0.2.07"
      })
  void ambiguousIpv4Spellings_matchNothing_andAreRefusedAsEntries(String s) {
    assertThat(of("0.0.0.0/0", "::/0").allows(s)).as(s).isFalse();
    assertThatIllegalArgumentException().isThrownBy(() -> of(s));
  }
}
