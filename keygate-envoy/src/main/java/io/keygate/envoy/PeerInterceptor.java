package io.keygate.envoy;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** Puts the address of the gRPC peer (Envoy, normally) into the call's {@link Context}. */
final class PeerInterceptor implements ServerInterceptor {
  /** The peer's IP literal, or {@code null} when the transport has none (not TCP). */
  static final Context.Key<String> PEER = Context.key("keygate-peer");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SocketAddress a = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String ip =
        a instanceof InetSocketAddress i && i.getAddress() != null
            ? i.getAddress().getHostAddress()
            : null;
    return Contexts.interceptCall(Context.current().withValue(PEER, ip), call, headers, next);
  }
}
