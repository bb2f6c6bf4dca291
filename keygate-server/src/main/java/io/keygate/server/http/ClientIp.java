package io.keygate.server.http;

import io.javalin.http.Context;
import io.keygate.core.verify.IpAllowlist;
import java.util.List;

/**
 * Decides the client IP of a request: the socket peer, unless the peer is a configured trusted
 * proxy, in which case the right-most address of {@code X-Forwarded-For} that is not itself a
 * trusted proxy (or {@code X-Real-IP}) is used. A client can therefore not spoof its address by
 * sending the header directly. Thread-safe.
 */
public final class ClientIp {
  private final IpAllowlist trusted;

  /** Trusts forwarding headers only from peers in {@code trustedProxies} (CIDR list). */
  public ClientIp(List<String> trustedProxies) {
    this.trusted = trustedProxies.isEmpty() ? null : IpAllowlist.parse(trustedProxies);
  }

  /** The client IP of {@code ctx}. */
  public String of(Context ctx) {
    String peer = ctx.req().getRemoteAddr();
    if (trusted == null || !trusted.allows(peer)) {
      return peer;
    }
    String xff = ctx.header("X-Forwarded-For");
    if (xff != null && !xff.isBlank()) {
      String[] hops = xff.split(",");
      for (int i = hops.length - 1; i >= 0; i--) {
        String hop = hops[i].strip();
        if (IpAllowlist.literal(hop) == null) {
          return peer; // malformed chain: do not guess
        }
        if (!trusted.allows(hop) || i == 0) {
          return hop;
        }
      }
    }
    String real = ctx.header("X-Real-IP");
    if (real != null && IpAllowlist.literal(real.strip()) != null) {
      return real.strip();
    }
    return peer;
  }
}
