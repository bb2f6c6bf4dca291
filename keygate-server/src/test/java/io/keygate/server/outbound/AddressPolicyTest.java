package io.keygate.server.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which addresses outbound calls may reach: every special-purpose range, in every form. */
class AddressPolicyTest {
  private static final AddressPolicy PUBLIC_ONLY = AddressPolicy.allowing(List.of());

  private static Optional<String> refusal(AddressPolicy p, String literal) throws Exception {
    return p.refusal(InetAddress.getByName(literal));
  }

  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({
    "0.0.0.0, unspecified",
    "0.1.2.3, unspecified",
    "::, unspecified",
    "127.0.0.1, loopback",
    "127.255.255.254, loopback",
    "::1, loopback",
    "10.1.2.3, private",
    "172.16.0.1, private",
    "172.31.255.255, private",
    "192.168.1.1, private",
    "100.64.0.1, private",
    "100.127.255.255, private",
    "169.254.169.254, link-local",
    "169.254.0.1, link-local",
    "fe80::1, link-local",
    "febf:ffff::1, link-local",
    "fc00::1, unique-local",
    "fd12:3456::1, unique-local",
    "fec0::1, unique-local",
    "224.0.0.1, multicast",
    "239.255.255.250, multicast",
    "ff02::1, multicast",
    "255.255.255.255, reserved",
    "240.0.0.1, reserved",
    "192.0.0.8, reserved",
    "192.0.2.1, reserved",
    "198.18.0.1, reserved",
    "198.51.100.1, reserved",
    "203.0.113.1, reserved",
    "192.88.99.1, reserved",
    "2001:db8::1, reserved",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2, reserved",
    "100::1, reserved",
    "64:ff9b:1::1, reserved",
    "::8.8.8.8, reserved",
  })
  void specialPurposeAddresses_areRefusedWithTheirKind(String address, String kind)
      throws Exception {
    assertThat(refusal(PUBLIC_ONLY, address)).contains(kind);
    assertThat(PUBLIC_ONLY.permits(InetAddress.getByName(address))).isFalse();
  }

  @ParameterizedTest(name = "{0} carries {1}")
  @CsvSource({
    "::ffff:127.0.0.1, loopback",
    "::ffff:7f00:1, loopback",
    "0:0:0:0:0:ffff:127.0.0.1, loopback",
    "::ffff:169.254.169.254, link-local",
    "::ffff:0:10.0.0.1, private",
    "64:ff9b::127.0.0.1, loopback",
    "64:ff9b::a9fe:a9fe, link-local",
    "64:ff9b::c0a8:101, private",
    "2002:7f00:1::1, loopback",
    "2002:c0a8:101::1, private",
    "2002:a9fe:a9fe:1::5, link-local",
    "2002:0:0::1, unspecified",
  })
  void ipv6FormsCarryingIpv4_areJudgedAsThatIpv4(String address, String kind) throws Exception {
    assertThat(refusal(PUBLIC_ONLY, address)).contains(kind);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "8.8.8.8",
        "1.1.1.1",
        "93.184.215.14",
        "11.0.0.1",
        "172.15.255.255",
        "172.32.0.1",
        "100.63.255.255",
        "100.128.0.1",
        "169.253.255.255",
        "223.255.255.255",
        "2606:4700::1111",
        "2a00:1450:4001:80b::200e",
        "64:ff9b::808:808",
        "2002:808:808::1",
        "::ffff:8.8.8.8",
      })
  void publicAddresses_arePermitted(String address) throws Exception {
    assertThat(refusal(PUBLIC_ONLY, address)).isEmpty();
  }

  @Test
  void allowedNetworks_openExactlyThoseRanges_alsoInTheirIpv6Forms() throws Exception {
    AddressPolicy p = AddressPolicy.allowing(List.of("127.0.0.1/32", "10.0.0.0/8", "fd00::/8"));
    assertThat(refusal(p, "127.0.0.1")).isEmpty();
    assertThat(refusal(p, "::ffff:127.0.0.1")).isEmpty();
    assertThat(refusal(p, "127.0.0.2")).contains("loopback");
    assertThat(refusal(p, "::1")).contains("loopback");
    assertThat(refusal(p, "10.200.3.4")).isEmpty();
    assertThat(refusal(p, "64:ff9b::a00:1")).isEmpty();
    assertThat(refusal(p, "2002:a00:1::1")).isEmpty();
    assertThat(refusal(p, "fd12::1")).isEmpty();
    assertThat(refusal(p, "fc00::1")).contains("unique-local");
    assertThat(refusal(p, "192.168.0.1")).contains("private");
    assertThat(refusal(p, "169.254.169.254")).contains("link-local");
    assertThat(p.allowedNetworks()).containsExactly("127.0.0.1/32", "10.0.0.0/8", "fd00::/8");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0/33", "localhost", "10.0.0.0/8x", "2130706433", "", "::1/129"})
  void malformedAllowedNetworks_areRefused(String entry) {
    assertThatIllegalArgumentException().isThrownBy(() -> AddressPolicy.allowing(List.of(entry)));
  }
}
