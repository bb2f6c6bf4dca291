package io.keygate.core.verify;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed IP allowlist of exact addresses and CIDR ranges, IPv4 and IPv6. IPv4-mapped IPv6
 * addresses ({@code ::ffff:10.0.0.1}) match IPv4 entries. Immutable and thread-safe.
 *
 * <p>Only IP literals are accepted, never host names: parsing never touches DNS.
 */
public final class IpAllowlist {
  private static final IpAllowlist ANY = new IpAllowlist(List.of());

  private record Range(byte[] network, int prefixBits) {
    boolean contains(byte[] addr) {
      if (addr.length != network.length) {
        return false;
      }
      int full = prefixBits / 8;
      for (int i = 0; i < full; i++) {
        if (addr[i] != network[i]) {
          return false;
        }
      }
      int rest = prefixBits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = 0xFF << (8 - rest);
      return (addr[full] & mask) == (network[full] & mask);
    }
  }

  private final List<Range> ranges;

  private IpAllowlist(List<Range> ranges) {
    this.ranges = ranges;
  }

  /**
   * Parses entries like {@code 203.0.113.7}, {@code 10.0.0.0/8}, {@code 2001:db8::/32}.
   *
   * @throws IllegalArgumentException naming the first bad entry
   */
  public static IpAllowlist parse(List<String> entries) {
    if (entries == null || entries.isEmpty()) {
      return ANY;
    }
    List<Range> out = new ArrayList<>(entries.size());
    for (String e : entries) {
      out.add(parseEntry(e));
    }
    return new IpAllowlist(List.copyOf(out));
  }

  private static Range parseEntry(String entry) {
    if (entry == null || entry.isBlank()) {
      throw new IllegalArgumentException("empty IP allowlist entry");
    }
    String s = entry.trim();
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    byte[] bytes = literal(addr);
    if (bytes == null) {
      throw new IllegalArgumentException("not an IP address or CIDR range: " + entry);
    }
    int bits = bytes.length * 8;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("bad CIDR prefix length in: " + entry);
      }
      if (bits < 0 || bits > bytes.length * 8) {
        throw new IllegalArgumentException("CIDR prefix length out of range in: " + entry);
      }
    }
    return new Range(bytes, bits);
  }

  /**
   * The address bytes of an IP literal (4 for IPv4, including IPv4-mapped IPv6; 16 for IPv6), or
   * {@code null} if {@code s} is not an IP literal. Never resolves names.
   */
  public static byte[] literal(String s) {
    long v4 = ipv4(s);
    if (v4 >= 0) {
      return new byte[] {(byte) (v4 >>> 24), (byte) (v4 >>> 16), (byte) (v4 >>> 8), (byte) v4};
    }
    if (s == null || s.isEmpty() || s.length() > 45 || s.indexOf(':') < 0) {
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
    try {
      return InetAddress.getByName(s).getAddress();
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }

  /**
   * The value of a dotted-quad IPv4 literal ({@code 0..2^32-1}), or {@code -1} when {@code s} is
   * anything else. Four decimal parts of one to three digits, each at most 255; no allocation, so
   * it is cheap enough for every request.
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

  /** Whether the list is empty (any address allowed). */
  public boolean allowsAny() {
    return ranges.isEmpty();
  }

  /**
   * Whether {@code address} lies in one of the ranges; the empty list contains nothing (unlike
   * {@link #allows}). Works on the address bytes, so a scope id never hides an address.
   */
  public boolean contains(InetAddress address) {
    byte[] addr = address.getAddress();
    for (Range r : ranges) {
      if (r.contains(addr)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code ip} is allowed. An unparseable or missing IP is never allowed. */
  public boolean allows(String ip) {
    if (ranges.isEmpty()) {
      return true;
    }
    byte[] addr = literal(ip);
    if (addr == null) {
      return false;
    }
    for (Range r : ranges) {
      if (r.contains(addr)) {
        return true;
      }
    }
    return false;
  }
}
