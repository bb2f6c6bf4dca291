package io.keygate.core.request;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed IP allowlist of exact addresses and CIDR ranges, IPv4 and IPv6. Entries and the
 * addresses checked against them are read by {@link IpAddresses}: one spelling per address, so
 * IPv4-mapped IPv6 addresses ({@code ::ffff:10.0.0.1}) match IPv4 entries, IPv6 matches in any case
 * or compression, and ambiguous IPv4 spellings ({@code 010.0.0.1}, {@code 127.1}) are refused.
 * Immutable and thread-safe.
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
    byte[] bytes = IpAddresses.parseStrict(addr);
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

  /** Whether the list is empty (any address allowed). */
  public boolean allowsAny() {
    return ranges.isEmpty();
  }

  /**
   * Whether {@code address} lies in one of the ranges; the empty list contains nothing (unlike
   * {@link #allows}). Works on the address bytes, so a scope id never hides an address.
   */
  public boolean contains(InetAddress address) {
    return matches(address.getAddress());
  }

  private boolean matches(byte[] addr) {
    for (Range r : ranges) {
      if (r.contains(addr)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code ip} is allowed. An unparseable or missing IP is never allowed; a bracketed IPv6
   * address or one with a zone id is read as {@link IpAddresses#parse} does.
   */
  public boolean allows(String ip) {
    if (ranges.isEmpty()) {
      return true;
    }
    byte[] addr = IpAddresses.parse(ip);
    return addr != null && matches(addr);
  }
}
