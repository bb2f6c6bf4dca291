package io.keygate.core.request;

import java.util.List;
import java.util.function.Function;

/**
 * Decides the client address of an HTTP request, for the server and the servlet filter alike: the
 * socket peer, unless the peer is a configured trusted proxy; then the {@code X-Forwarded-For}
 * chain is read right to left through the trusted proxies and the first hop that is not one is the
 * client (the left-most hop when every hop is trusted). Without {@code X-Forwarded-For}, a trusted
 * peer's {@code X-Real-IP} counts. Every address is {@linkplain IpAddresses#normalize normalised}.
 *
 * <p><b>Security guarantees.</b> A client that talks to Keygate directly cannot choose its address:
 * forwarding headers count only from trusted peers. Every {@code X-Forwarded-For} header line
 * counts, in order, as if joined with commas (RFC 9110 §5.3), so a proxy that adds its own line
 * after the client's cannot be outflanked by the client's line. A chain with a hop that is not an
 * IP literal (a name, {@code unknown}, a port, an empty hop) and several differing {@code
 * X-Real-IP} lines are not guessed at: the peer is the client then. The RFC 7239 {@code Forwarded}
 * header is not read. Immutable and thread-safe.
 */
public final class ClientIpResolver {
  private final IpAllowlist trusted;

  /**
   * Trusts forwarding headers only from peers in {@code trustedProxies} (IPs or CIDR ranges; none:
   * the peer is always the client).
   *
   * @throws IllegalArgumentException naming a bad entry
   */
  public ClientIpResolver(List<String> trustedProxies) {
    this.trusted =
        trustedProxies == null || trustedProxies.isEmpty()
            ? null
            : IpAllowlist.parse(trustedProxies);
  }

  /**
   * Whether {@code peer} is a configured trusted proxy, whose account of the client (forwarding
   * headers, or the source address an Envoy ext_authz check reports) is believed.
   */
  public boolean trusts(String peer) {
    String p = IpAddresses.normalize(peer);
    return p != null && trusted != null && trusted.allows(p);
  }

  /**
   * The client address of a request.
   *
   * @param peer the socket peer as the container reports it (IPv6 may be bracketed)
   * @param headerLines every line of the named request header, in order (empty when absent); asked
   *     only when the peer is a trusted proxy
   * @return the canonical client address; {@code null} when the peer is not an IP literal
   */
  public String resolve(String peer, Function<String, List<String>> headerLines) {
    String p = IpAddresses.normalize(peer);
    if (p == null || trusted == null || !trusted.allows(p)) {
      return p;
    }
    List<String> lines = headerLines.apply("X-Forwarded-For");
    if (!lines.isEmpty()) {
      String[] hops = String.join(",", lines).split(",", -1);
      for (int i = hops.length - 1; i >= 0; i--) {
        String hop = IpAddresses.normalize(hops[i].strip());
        if (hop == null) {
          return p; // a malformed chain: do not guess
        }
        if (i == 0 || !trusted.allows(hop)) {
          return hop;
        }
      }
    }
    List<String> real = headerLines.apply("X-Real-IP");
    String first = real.isEmpty() ? null : IpAddresses.normalize(real.get(0).strip());
    if (first == null) {
      return p;
    }
    for (String r : real) {
      if (!first.equals(IpAddresses.normalize(r.strip()))) {
        return p;
      }
    }
    return first;
  }
}
