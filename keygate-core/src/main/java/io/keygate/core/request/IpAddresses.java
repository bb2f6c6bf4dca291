package io.keygate.core.request;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IP address literals with exactly one spelling per address: the one place where Keygate turns the
 * text of an address (a socket peer, an {@code X-Forwarded-For} hop, the {@code ip} a service
 * passes, an allowlist entry) into an address. Allowlists, brute-force counting, anomaly networks
 * and the audit log all see the {@link #normalize canonical} form, so two spellings of one address
 * can never be two addresses.
 *
 * <p><b>What is accepted</b> (decided once, here):
 *
 * <ul>
 *   <li>IPv4 only as a dotted quad of decimal parts without leading zeros ({@code 10.0.0.1}). Every
 *       other {@code inet_aton} spelling is refused: leading zeros ({@code 010.0.0.1}, which C
 *       libraries read as octal), short forms ({@code 127.1}), single numbers ({@code 2130706433})
 *       and hex parts ({@code 0x7f.0.0.1}).
 *   <li>IPv6 in any RFC 4291 text form, any case, compressed or not; an embedded dotted quad obeys
 *       the IPv4 rule. IPv4-mapped addresses ({@code ::ffff:1.2.3.4}, {@code ::ffff:102:304}) are
 *       the IPv4 address they carry.
 *   <li>Client addresses only ({@link #normalize}, {@link #parse}): brackets around IPv6 ({@code
 *       [::1]}, as Jetty reports IPv6 peers) and an IPv6 zone id ({@code fe80::1%eth0}), which is
 *       dropped: it names an interface of this host, not the client. Configuration entries ({@link
 *       #parseStrict}) take neither.
 * </ul>
 *
 * <p><b>Canonical form:</b> IPv4 dotted quad; IPv6 as RFC 5952 recommends (lower case, no leading
 * zeros, the longest run of two or more zero groups as {@code ::}).
 *
 * <p><b>Security guarantees.</b> Parsing never resolves names: only strings made of hex digits,
 * dots and colons reach {@link InetAddress#getByName}, which treats those as literals. Stateless
 * and thread-safe.
 */
public final class IpAddresses {
  /** IPv6 attackers are counted per /64: the smallest network an ISP assigns to one customer. */
  public static final int IPV6_COUNTED_PREFIX = 64;

  private static final int MAX_IPV6_LENGTH = 45;

  private IpAddresses() {}

  /**
   * The canonical text of a client address, or {@code null} when {@code s} is not an IP literal. A
   * canonical IPv4 input is returned as is, without allocation.
   */
  public static String normalize(String s) {
    if (ipv4(s) >= 0) {
      return s;
    }
    byte[] b = parse(s);
    return b == null ? null : format(b);
  }

  /**
   * The bytes of a client address (4 for IPv4 and IPv4-mapped IPv6, 16 for IPv6), or {@code null}
   * when {@code s} is not an IP literal; brackets and an IPv6 zone id are allowed and ignored.
   */
  public static byte[] parse(String s) {
    if (s == null || s.length() < 2) {
      return null;
    }
    String a = s;
    if (a.charAt(0) == '[' && a.charAt(a.length() - 1) == ']') {
      a = a.substring(1, a.length() - 1);
      if (a.indexOf(':') < 0) {
        return null; // brackets belong to IPv6 only
      }
    }
    int zone = a.indexOf('%');
    if (zone >= 0) {
      if (a.indexOf(':') < 0 || zone == a.length() - 1) {
        return null; // zone ids belong to IPv6 only, and are not empty
      }
      a = a.substring(0, zone);
    }
    return parseStrict(a);
  }

  /**
   * The bytes of an address as written in configuration (allowlists, trusted proxies): like {@link
   * #parse} without brackets or zone ids; {@code null} when {@code s} is anything else.
   */
  public static byte[] parseStrict(String s) {
    long v4 = ipv4(s);
    if (v4 >= 0) {
      return new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4};
    }
    if (s == null || s.isEmpty() || s.length() > MAX_IPV6_LENGTH || s.indexOf(':') < 0) {
      return null; // not a dotted quad and not IPv6: InetAddress would accept "1" or "1.2" forms
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != '.' && c != ':') {
        return null;
      }
    }
    if (s.charAt(0) == '.') {
      // InetAddress treats a string as a literal only if it starts with a hex digit or ':';
      // anything else (".:1") would go to the name service.
      return null;
    }
    int dot = s.indexOf('.');
    if (dot >= 0 && ipv4(s.substring(s.lastIndexOf(':') + 1)) < 0) {
      return null; // an embedded IPv4 part follows the IPv4 rule (no leading zeros)
    }
    try {
      return InetAddress.getByName(s).getAddress();
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }

  /**
   * The value of a canonical dotted-quad IPv4 literal ({@code 0..2^32-1}), or {@code -1} when
   * {@code s} is anything else: four decimal parts of one to three digits, each at most 255 and
   * without a leading zero. No allocation, so it is cheap enough for every request.
   */
  public static long ipv4(String s) {
    if (s == null || s.length() < 7 || s.length() > 15) {
      return -1;
    }
    long value = 0;
    int part = 0;
    int digits = 0;
    int parts = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i == s.length() ? '.' : s.charAt(i);
      if (c >= '0' && c <= '9') {
        if (digits == 1 && part == 0) {
          return -1; // leading zero: inet_aton would read the part as octal
        }
        part = part * 10 + (c - '0');
        if (++digits > 3 || part > 255) {
          return -1;
        }
      } else if (c == '.' && digits > 0 && parts < 4) {
        value = (value << 8) | part;
        parts++;
        part = 0;
        digits = 0;
      } else {
        return -1;
      }
    }
    return parts == 4 ? value : -1;
  }

  /** The canonical text of 4 or 16 address bytes (see the class comment). */
  public static String format(byte[] addr) {
    if (addr.length == 4) {
      return (addr[0] & 0xFF)
          + "."
          + (addr[1] & 0xFF)
          + "."
          + (addr[2] & 0xFF)
          + "."
          + (addr[3] & 0xFF);
    }
    if (addr.length != 16) {
      throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + addr.length);
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((addr[2 * i] & 0xFF) << 8) | (addr[2 * i + 1] & 0xFF);
    }
    // RFC 5952 §4.2: the longest run of at least two zero groups (the first of equal ones) is "::".
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder b = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        b.append("::");
        i += bestLength - 1;
        continue;
      }
      if (b.length() > 0 && b.charAt(b.length() - 1) != ':') {
        b.append(':');
      }
      b.append(Integer.toHexString(groups[i]));
    }
    return b.toString();
  }

  /**
   * The key under which brute-force attempts from {@code ip} are counted: the canonical IPv4
   * address, or the IPv6 /64 network in CIDR notation ({@code 2001:db8:1:2::/64}) — an IPv6 host
   * owns a whole /64 and could otherwise take a fresh address for every guess. A string that is not
   * an IP literal is counted as given (stripped), so it is never left uncounted; {@code null} stays
   * {@code null}.
   */
  public static String counterKey(String ip) {
    if (ip == null || ipv4(ip) >= 0) {
      return ip;
    }
    byte[] b = parse(ip);
    if (b == null) {
      return ip.strip();
    }
    if (b.length == 4) {
      return format(b);
    }
    byte[] net = new byte[16];
    System.arraycopy(b, 0, net, 0, IPV6_COUNTED_PREFIX / 8);
    return format(net) + "/" + IPV6_COUNTED_PREFIX;
  }

  /** The IPv4 network {@link #networkKey} counts a client in: a /24. */
  public static final int IPV4_NETWORK_PREFIX = 24;

  /** The IPv6 network {@link #networkKey} counts a client in: a /48, a typical site allocation. */
  public static final int IPV6_NETWORK_PREFIX = 48;

  /**
   * The network {@code ip} belongs to, in CIDR notation: its IPv4 /{@value #IPV4_NETWORK_PREFIX} or
   * IPv6 /{@value #IPV6_NETWORK_PREFIX} ({@code 2001:db8:1::/48}; an IPv4-mapped IPv6 address as
   * its IPv4 /24). For a second, wider budget beside {@link #counterKey}: one site holds 65,536
   * IPv6 /64s and a whole IPv4 /24 is cheap to rent, so a per-address budget alone multiplies by
   * the size of the attacker's allocation. A string that is not an IP literal is its own network
   * (stripped); {@code null} stays {@code null}.
   */
  public static String networkKey(String ip) {
    if (ip == null) {
      return null;
    }
    byte[] b = parse(ip);
    if (b == null) {
      return ip.strip();
    }
    int prefix = b.length == 4 ? IPV4_NETWORK_PREFIX : IPV6_NETWORK_PREFIX;
    byte[] net = new byte[b.length];
    System.arraycopy(b, 0, net, 0, prefix / 8);
    return format(net) + "/" + prefix;
  }
}
