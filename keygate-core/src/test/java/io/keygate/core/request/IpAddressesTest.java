package io.keygate.core.request;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "203.0.113.7 | 203.0.113.7",
        "0.0.0.0 | 0.0.0.0",
        "::ffff:203.0.113.7 | 203.0.113.7",
        "::FFFF:203.0.113.7 | 203.0.113.7",
        "0:0:0:0:0:ffff:cb00:7107 | 203.0.113.7",
        "[::ffff:203.0.113.7] | 203.0.113.7",
        "2001:DB8::1 | 2001:db8::1",
        "2001:0db8:0000:0000:0000:0000:0000:0001 | 2001:db8::1",
        "[2001:db8::1] | 2001:db8::1",
        "[0:0:0:0:0:0:0:1] | ::1",
        "fe80::1%eth0 | fe80::1",
        "fe80::1%25eth0 | fe80::1",
        "[fe80::1%2] | fe80::1",
        "0:0:0:0:0:0:0:0 | ::",
        "2001:db8:0:0:1:0:0:1 | 2001:db8::1:0:0:1",
        "2001:0:0:1:0:0:0:1 | 2001:0:0:1::1",
        "1:0:0:0:0:0:0:0 | 1::",
        "2001:db8:0:1:1:1:1:1 | 2001:db8:0:1:1:1:1:1",
        "::1.2.3.4 | ::102:304",
      })
  void normalize_givesOneSpellingPerAddress(String in, String canonical) {
    assertThat(IpAddresses.normalize(in)).isEqualTo(canonical);
    assertThat(IpAddresses.normalize(canonical)).as("fixed point").isEqualTo(canonical);
  }

  @Test
  void normalize_canonicalIpv4_isTheSameInstance() {
    String ip = "198.51.100.23";
    assertThat(IpAddresses.normalize(ip)).isSameAs(ip);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " 203.0.113.7",
        "203.0.113.7 ",
        "010.0.0.1",
        "10.0.0.01",
        "00.0.0.0",
        "127.1",
        "127.0.1",
        "2130706433",
        "0x7f000001",
        "0x7f.0.0.1",
        "0177.0.0.1",
        "256.0.0.1",
        "1.2.3.4.5",
        "[1.2.3.4]",
        "1.2.3.4%eth0",
        "::ffff:010.0.0.1",
        "::ffff:127.1",
        "fe80::1%",
        "localhost",
        "example.com",
        "unknown",
        "1.2.3.4:8080",
        "[::1]:8080",
        "::g",
        "1:2:3:4:5:6:7:8:9",
        ".:1",
      })
  void normalize_refusesEverythingElse(String s) {
    assertThat(IpAddresses.normalize(s)).isNull();
    assertThat(IpAddresses.parse(s)).isNull();
  }

  @Test
  void parseStrict_refusesBracketsAndZones_parseAcceptsThem() {
    for (String s : List.of("[::1]", "fe80::1%eth0")) {
      assertThat(IpAddresses.parseStrict(s)).as(s).isNull();
      assertThat(IpAddresses.parse(s)).as(s).hasSize(16);
    }
    assertThat(IpAddresses.parseStrict("::ffff:1.2.3.4")).containsExactly(1, 2, 3, 4);
  }

  /** The allocation-free IPv4 parser agrees with the JDK on every canonical dotted quad. */
  @Property(tries = 2000)
  void ipv4_agreesWithInetAddress(
      @ForAll @IntRange(min = 0, max = 255) int a,
      @ForAll @IntRange(min = 0, max = 255) int b,
      @ForAll @IntRange(min = 0, max = 255) int c,
      @ForAll @IntRange(min = 0, max = 255) int d)
      throws Exception {
    String s = a + "." + b + "." + c + "." + d;
    assertThat(IpAddresses.parse(s)).containsExactly(InetAddress.getByName(s).getAddress());
    assertThat(IpAddresses.ipv4(s)).isEqualTo(((long) a << 24) | (b << 16) | (c << 8) | d);
    assertThat(IpAddresses.normalize(s)).isEqualTo(s);
  }

  /** Any part with a leading zero is refused: C's inet_aton would read it as octal. */
  @Property(tries = 500)
  void ipv4_leadingZeros_areRefused(
      @ForAll @IntRange(min = 0, max = 99) int a, @ForAll @IntRange(min = 0, max = 3) int at) {
    String[] parts = {"1", "2", "3", "4"};
    parts[at] = String.format(a < 10 ? "0%d" : "0%02d", a);
    assertThat(IpAddresses.ipv4(String.join(".", parts))).isEqualTo(-1);
  }

  /** RFC 5952 text of random addresses parses back to the same bytes and is a fixed point. */
  @Property(tries = 1000)
  void format_ipv6_roundTripsThroughTheJdk(@ForAll byte[] raw) throws Exception {
    byte[] addr = Arrays.copyOf(raw, 16);
    addr[0] |= 0x20; // never IPv4-mapped
    String text = IpAddresses.format(addr);
    assertThat(InetAddress.getByName(text).getAddress()).containsExactly(addr);
    assertThat(text).isEqualTo(text.toLowerCase()).doesNotContain(":::");
    assertThat(IpAddresses.normalize(text)).isEqualTo(text);
  }

  @ParameterizedTest(name = "{0} counted as {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "203.0.113.7 | 203.0.113.7",
        "::ffff:203.0.113.7 | 203.0.113.7",
        "2001:db8:1:2:3:4:5:6 | 2001:db8:1:2::/64",
        "2001:db8:1:2:ffff:ffff:ffff:ffff | 2001:db8:1:2::/64",
        "[2001:DB8:1:2::9%eth0] | 2001:db8:1:2::/64",
        "2001:db8:1:3::1 | 2001:db8:1:3::/64",
        "::1 | ::/64",
        "not-an-ip | not-an-ip",
      })
  void counterKey_isTheAddressForIpv4_andThe64ForIpv6(String ip, String key) {
    assertThat(IpAddresses.counterKey(ip)).isEqualTo(key);
  }

  @Test
  void counterKey_ofNull_isNull() {
    assertThat(IpAddresses.counterKey(null)).isNull();
  }

  @ParameterizedTest(name = "{0} is in network {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "203.0.113.7 | 203.0.113.0/24",
        "203.0.113.255 | 203.0.113.0/24",
        "::ffff:203.0.113.7 | 203.0.113.0/24",
        "203.0.114.7 | 203.0.114.0/24",
        "2001:db8:1:2:3:4:5:6 | 2001:db8:1::/48",
        "2001:db8:1:ffff:ffff:ffff:ffff:ffff | 2001:db8:1::/48",
        "[2001:DB8:1:2::9%eth0] | 2001:db8:1::/48",
        "2001:db8:2::1 | 2001:db8:2::/48",
        "not-an-ip | not-an-ip",
      })
  void networkKey_isThe24ForIpv4_andThe48ForIpv6(String ip, String key) {
    assertThat(IpAddresses.networkKey(ip)).isEqualTo(key);
  }

  @Test
  void networkKey_ofNull_isNull() {
    assertThat(IpAddresses.networkKey(null)).isNull();
  }

  /**
   * Regression: {@code ".:1"} passed the character filter and reached {@code
   * InetAddress.getByName}, which treats strings not starting with a hex digit or ':' as host names
   * and asks the name service. Proven in a child JVM whose only name service is a hosts file
   * mapping such names: any lookup would make them parse as addresses.
   */
  @Test
  void parse_neverReachesTheNameService(@TempDir Path dir)
      throws IOException, InterruptedException {
    List<String> names =
        List.of(".:1", ".1:2", "..:", ".a:b", "cafe", "dead.beef", "[cafe]", "1.2.3.4%x", "ab%c");
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
      assertThat(out).contains("parse " + n + " -> null");
    }
  }

  /** Child-process entry point for the name-service regression test. */
  public static final class NameServiceProbe {
    public static void main(String[] args) throws Exception {
      System.out.println(
          "control .:1 -> " + Arrays.toString(InetAddress.getByName(".:1").getAddress()));
      for (String a : args) {
        byte[] b = IpAddresses.parse(a);
        System.out.println("parse " + a + " -> " + (b == null ? "null" : Arrays.toString(b)));
      }
    }
  }
}
