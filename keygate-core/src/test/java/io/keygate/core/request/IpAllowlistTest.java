package io.keygate.core.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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

  /** Entries (separated by spaces), an address and whether the list allows it. */
  @ParameterizedTest(name = "[{0}] allows {1}: {2}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # an exact IPv4 entry matches only that address
          203.0.113.7                           | 203.0.113.7                            | true
          203.0.113.7                           | 203.0.113.8                            | false
          203.0.113.7                           | 203.0.113.6                            | false
          # an exact IPv6 entry matches equivalent spellings
          2001:db8::1                           | 2001:db8::1                            | true
          2001:db8::1                           | 2001:0db8:0000:0000:0000:0000:0000:0001 | true
          2001:db8::1                           | 2001:DB8::1                            | true
          2001:db8::1                           | 2001:db8::2                            | false
          # /24 boundaries
          10.1.2.0/24                           | 10.1.2.0                               | true
          10.1.2.0/24                           | 10.1.2.255                             | true
          10.1.2.0/24                           | 10.1.1.255                             | false
          10.1.2.0/24                           | 10.1.3.0                               | false
          # boundaries of a prefix not on a byte
          192.168.0.64/26                       | 192.168.0.63                           | false
          192.168.0.64/26                       | 192.168.0.64                           | true
          192.168.0.64/26                       | 192.168.0.127                          | true
          192.168.0.64/26                       | 192.168.0.128                          | false
          # an entry with host bits set matches its network
          10.1.2.99/24                          | 10.1.2.1                               | true
          10.1.2.99/24                          | 10.1.3.1                               | false
          # /32 is exact, 0.0.0.0/0 is every IPv4 address
          198.51.100.1/32                       | 198.51.100.1                           | true
          198.51.100.1/32                       | 198.51.100.2                           | false
          0.0.0.0/0                             | 0.0.0.0                                | true
          0.0.0.0/0                             | 255.255.255.255                        | true
          0.0.0.0/0                             | 2001:db8::1                            | false
          # /128 is exact, ::/0 is every IPv6 address
          2001:db8::5/128                       | 2001:db8::5                            | true
          2001:db8::5/128                       | 2001:db8::4                            | false
          ::/0                                  | ::1                                    | true
          ::/0                                  | ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff | true
          ::/0                                  | 10.0.0.1                               | false
          # /48 boundaries
          2001:db8:abcd::/48                    | 2001:db8:abcd::                        | true
          2001:db8:abcd::/48                    | 2001:db8:abcd:ffff:ffff:ffff:ffff:ffff | true
          2001:db8:abcd::/48                    | 2001:db8:abcc:ffff:ffff:ffff:ffff:ffff | false
          2001:db8:abcd::/48                    | 2001:db8:abce::                        | false
          # IPv4-mapped IPv6 addresses match IPv4 entries
          10.0.0.0/8                            | ::ffff:10.20.30.40                     | true
          10.0.0.0/8                            | ::ffff:11.0.0.1                        | false
          ::ffff:192.0.2.1                      | 192.0.2.1                              | true
          # with several entries, any match allows
          203.0.113.7 10.0.0.0/8 2001:db8::/32  | 10.255.0.1                             | true
          203.0.113.7 10.0.0.0/8 2001:db8::/32  | 2001:db8:1::1                          | true
          203.0.113.7 10.0.0.0/8 2001:db8::/32  | 203.0.113.7                            | true
          203.0.113.7 10.0.0.0/8 2001:db8::/32  | 192.0.2.1                              | false
          """)
  void allows_matchesAddressesAgainstEntries(String entries, String ip, boolean allowed) {
    assertThat(of(entries.split(" ")).allows(ip)).isEqualTo(allowed);
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
