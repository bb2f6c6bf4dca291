package io.keygate.server.http;

import io.javalin.http.Context;
import io.keygate.core.request.ClientIpResolver;
import java.util.Collections;
import java.util.List;

/**
 * The client IP of a request, decided by the core {@link ClientIpResolver} (the servlet filter uses
 * the same one): the socket peer, or through {@code X-Forwarded-For} (every header line) and {@code
 * X-Real-IP} when the peer is a trusted proxy; always in canonical form. Thread-safe.
 */
public final class ClientIp {
  private final ClientIpResolver resolver;

  /** Trusts forwarding headers only from peers in {@code trustedProxies} (CIDR list). */
  public ClientIp(List<String> trustedProxies) {
    this.resolver = new ClientIpResolver(trustedProxies);
  }

  /** The client IP of {@code ctx}. */
  public String of(Context ctx) {
    return resolver.resolve(
        ctx.req().getRemoteAddr(), name -> Collections.list(ctx.req().getHeaders(name)));
  }
}
