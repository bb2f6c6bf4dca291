package io.keygate.server.outbound;

import io.keygate.core.request.IpAllowlist;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

/**
 * Which addresses Keygate's own outbound calls (webhooks, secret scanning partner keys) may reach:
 * any public address, and the special-purpose networks below only when the operator lists them in
 * {@code KEYGATE_WEBHOOK_ALLOWED_NETWORKS}.
 *
 * <p><b>Security guarantees.</b> Refused unless allowed: unspecified ({@code 0.0.0.0/8}, {@code
 * ::}), loopback ({@code 127.0.0.0/8}, {@code ::1}), private ({@code 10/8}, {@code 172.16/12},
 * {@code 192.168/16}, carrier-grade NAT {@code 100.64/10}), link-local ({@code 169.254/16} with the
 * cloud metadata address, {@code fe80::/10}), unique-local ({@code fc00::/7}, site-local {@code
 * fec0::/10}), multicast ({@code 224/4}, {@code ff00::/8}) and reserved ranges (broadcast and
 * {@code 240/4}, documentation, benchmarking, IETF protocol assignments with Teredo, 6to4 relays,
 * discard-only, local-use NAT64, deprecated IPv4-compatible {@code ::/96}). An IPv6 address that
 * carries an IPv4 address (IPv4-mapped, IPv4-translated, NAT64 {@code 64:ff9b::/96}, 6to4 {@code
 * 2002::/16}) is also judged as that IPv4 address. The decision works on address bytes, never on a
 * spelling. Immutable and thread-safe.
 */
public final class AddressPolicy {
  private record Special(String kind, IpAllowlist ranges) {}

  private static final List<Special> SPECIAL =
      List.of(
          special("unspecified", "0.0.0.0/8", "::/128"),
          special("loopback", "127.0.0.0/8", "::1/128"),
          special("private", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"),
          special("link-local", "169.254.0.0/16", "fe80::/10"),
          special("unique-local", "fc00::/7", "fec0::/10"),
          special("multicast", "224.0.0.0/4", "ff00::/8"),
          special(
              "reserved",
              "240.0.0.0/4",
              "192.0.0.0/24",
              "192.0.2.0/24",
              "192.88.99.0/24",
              "198.18.0.0/15",
              "198.51.100.0/24",
              "203.0.113.0/24",
              "::/96",
              "100::/64",
              "64:ff9b:1::/48",
              "2001::/23",
              "2001:db8::/32"));

  private static final byte[] NAT64 = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

  private final IpAllowlist allowed;
  private final List<String> allowedNetworks;

  private AddressPolicy(IpAllowlist allowed, List<String> allowedNetworks) {
    this.allowed = allowed;
    this.allowedNetworks = allowedNetworks;
  }

  private static Special special(String kind, String... cidrs) {
    return new Special(kind, IpAllowlist.parse(List.of(cidrs)));
  }

  /**
   * A policy that also permits {@code allowedNetworks} (CIDR ranges or single addresses; empty:
   * only public addresses).
   *
   * @throws IllegalArgumentException naming the first entry that is not an IP address or range
   */
  public static AddressPolicy allowing(List<String> allowedNetworks) {
    List<String> copy = List.copyOf(allowedNetworks);
    return new AddressPolicy(IpAllowlist.parse(copy), copy);
  }

  /** The operator's allowed networks as configured. */
  public List<String> allowedNetworks() {
    return allowedNetworks;
  }

  /** Whether a call may connect to {@code address}. */
  public boolean permits(InetAddress address) {
    return refusal(address).isEmpty();
  }

  /**
   * Why a call may not connect to {@code address} ({@code loopback}, {@code private}, {@code
   * link-local}, {@code unique-local}, {@code multicast}, {@code reserved} or {@code unspecified}),
   * or empty when it may.
   */
  public Optional<String> refusal(InetAddress address) {
    if (!allowed.contains(address)) {
      for (Special s : SPECIAL) {
        if (s.ranges().contains(address)) {
          return Optional.of(s.kind());
        }
      }
    }
    Inet4Address carried = embeddedIpv4(address);
    return carried == null ? Optional.empty() : refusal(carried);
  }

  /** The IPv4 address an IPv6 address carries in one of the translation formats, or null. */
  static Inet4Address embeddedIpv4(InetAddress address) {
    if (!(address instanceof Inet6Address)) {
      return null;
    }
    byte[] a = address.getAddress();
    int at = -1;
    if (a[0] == 0x20 && a[1] == 0x02) {
      at = 2; // 6to4: 2002:AABB:CCDD::/48
    } else if (startsWith(a, NAT64, 12)) {
      at = 12; // NAT64 well-known prefix
    } else if (zeros(a, 0, 10) && (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff) {
      at = 12; // IPv4-mapped (Java usually hands these over as Inet4Address already)
    } else if (zeros(a, 0, 8)
        && (a[8] & 0xff) == 0xff
        && (a[9] & 0xff) == 0xff
        && zeros(a, 10, 12)) {
      at = 12; // IPv4-translated ::ffff:0:a.b.c.d
    }
    if (at < 0) {
      return null;
    }
    try {
      return (Inet4Address)
          InetAddress.getByAddress(new byte[] {a[at], a[at + 1], a[at + 2], a[at + 3]});
    } catch (UnknownHostException e) {
      throw new IllegalStateException("four bytes are always an IPv4 address", e);
    }
  }

  private static boolean startsWith(byte[] a, byte[] prefix, int length) {
    for (int i = 0; i < length; i++) {
      if (a[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean zeros(byte[] a, int from, int to) {
    for (int i = from; i < to; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
