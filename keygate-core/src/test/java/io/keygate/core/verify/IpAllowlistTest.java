package io.keygate.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpAllowlistTest {

  @Test
  void contains_matchesAddressBytes_ignoresScopeIds_andTheEmptyListContainsNothing()
      throws IOException {
    IpAllowlist l = IpAllowlist.parse(List.of("10.0.0.0/8", "fe80::/10", "::1"));
    assertThat(l.contains(java.net.InetAddress.getByName("10.200.0.1"))).isTrue();
    assertThat(l.contains(java.net.InetAddress.getByName("::ffff:10.0.0.1"))).isTrue();
    assertThat(l.contains(java.net.InetAddress.getByName("fe80::1%1"))).isTrue();
    assertThat(l.contains(java.net.InetAddress.getByName("::1"))).isTrue();
    assertThat(l.contains(java.net.InetAddress.getByName("11.0.0.1"))).isFalse();
    assertThat(l.contains(java.net.InetAddress.getByName("::2"))).isFalse();
    assertThat(IpAllowlist.parse(List.of()).contains(java.net.InetAddress.getByName("10.0.0.1")))
        .isFalse();
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

  /**
   * The allocation-free IPv4 parser agrees with the JDK on every dotted quad, leading zeros too.
   */
  @net.jqwik.api.Property(tries = 2000)
  void ipv4_agreesWithInetAddress(
      @net.jqwik.api.ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 255) int a,
      @net.jqwik.api.ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 255) int b,
      @net.jqwik.api.ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 255) int c,
      @net.jqwik.api.ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 255) int d,
      @net.jqwik.api.ForAll boolean padded)
      throws Exception {
    String s =
        padded ? String.format("%03d.%d.%02d.%d", a, b, c, d) : a + "." + b + "." + c + "." + d;
    byte[] jdk = java.net.InetAddress.getByName(s).getAddress();
    assertThat(IpAllowlist.literal(s)).containsExactly(jdk);
    long v = IpAllowlist.ipv4(s);
    assertThat(v).isEqualTo(((long) a << 24) | (b << 16) | (c << 8) | d);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.256",
        "1..2.3",
        ".1.2.3",
        "1.2.3.",
        "1.2.3.4 ",
        " 1.2.3.4",
        "1.2.3.0004",
        "a.b.c.d",
        "1.2.3.-4",
        "1,2,3,4",
        "999.1.1.1",
        "1.2.3.4/8"
      })
  void ipv4_refusesEverythingElse(String s) {
    assertThat(IpAllowlist.ipv4(s)).isEqualTo(-1);
    assertThat(IpAllowlist.literal(s)).isNull();
  }

  @Test
  void literal_returnsAddressBytes() {
    assertThat(IpAllowlist.literal("1.2.3.4")).containsExactly(1, 2, 3, 4);
    assertThat(IpAllowlist.literal("::1")).hasSize(16);
    assertThat(IpAllowlist.literal("::ffff:1.2.3.4")).containsExactly(1, 2, 3, 4);
    assertThat(IpAllowlist.literal("x".repeat(46))).isNull();
  }

  /**
   * Regression: {@code literal(".:1")} passed the character filter and reached {@code
   * InetAddress.getByName}, which treats strings not starting with a hex digit or ':' as host names
   * and asks the name service. Proven in a child JVM whose only name service is a hosts file
   * mapping such names: any lookup would make them parse as addresses.
   */
  @Test
  void literal_dotLeadingString_neverReachesNameService(@TempDir Path dir)
      throws IOException, InterruptedException {
    List<String> names = List.of(".:1", ".1:2", "..:", ".a:b", "cafe", "dead.beef");
    StringBuilder hosts = new StringBuilder();
    for (String n : names) {
      hosts.append("10.9.8.7 ").append(n).append('\n');
    }
    Path hostsFile = dir.resolve("hosts");
    Files.writeString(hostsFile, hosts, StandardCharsets.US_ASCII);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Djdk.net.hosts.file=" + hostsFile);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(NameServiceProbe.class.getName());
    cmd.addAll(names);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    // Sanity: the hosts file really is the child's name service.
    assertThat(out).contains("control .:1 -> [10, 9, 8, 7]");
    for (String n : names) {
      assertThat(out).contains("literal " + n + " -> null");
    }
  }

  /** Child-process entry point for the name-service regression test. */
  public static final class NameServiceProbe {
    public static void main(String[] args) throws Exception {
      System.out.println(
          "control .:1 -> " + Arrays.toString(java.net.InetAddress.getByName(".:1").getAddress()));
      for (String a : args) {
        byte[] b = IpAllowlist.literal(a);
        System.out.println("literal " + a + " -> " + (b == null ? "null" : Arrays.toString(b)));
      }
    }
  }
}
