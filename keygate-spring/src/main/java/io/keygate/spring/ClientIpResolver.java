package io.keygate.spring;

import io.keygate.core.verify.IpAllowlist;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;

/**
 * Decides the client IP: the socket peer, unless the peer is a configured trusted proxy; then the
 * right-most {@code X-Forwarded-For} hop that is not itself a trusted proxy (the left-most one if
 * every hop is trusted). A client talking to the application directly cannot spoof its address by
 * sending the header, and a malformed chain falls back to the peer rather than guessing. Immutable
 * and thread-safe.
 */
final class ClientIpResolver {
  private final IpAllowlist trusted;

  /** Trusts forwarding headers only from peers in {@code trustedProxies} (IPs or CIDR ranges). */
  ClientIpResolver(List<String> trustedProxies) {
    this.trusted =
        trustedProxies == null || trustedProxies.isEmpty()
            ? null
            : IpAllowlist.parse(trustedProxies);
  }

  String resolve(HttpServletRequest request) {
    String peer = request.getRemoteAddr();
    if (trusted == null || !trusted.allows(peer)) {
      return peer;
    }
    String xff = request.getHeader("X-Forwarded-For");
    if (xff == null || xff.isBlank()) {
      return peer;
    }
    String[] hops = xff.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = hops[i].strip();
      if (IpAllowlist.literal(hop) == null) {
        return peer;
      }
      if (!trusted.allows(hop) || i == 0) {
        return hop;
      }
    }
    return peer;
  }
}
