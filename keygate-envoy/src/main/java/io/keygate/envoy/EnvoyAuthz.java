package io.keygate.envoy;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.keygate.core.Keygate;
import io.keygate.core.request.ClientIpResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * Envoy's external authorization service over gRPC ({@code
 * envoy.service.auth.v3.Authorization/Check}), for Envoy's {@code ext_authz} filter with a {@code
 * grpc_service} and for Istio's {@code envoyExtAuthzGrpc} extension provider. It gives the outcomes
 * of {@code /v1/authz}: the same verification of the original request and the same status and
 * headers ({@link io.keygate.core.verify.GatewayAnswer}).
 *
 * <pre>{@code
 * try (EnvoyAuthz authz = EnvoyAuthz.builder().keygate(kg).port(9191).build()) {
 *   authz.start();
 * }
 * }</pre>
 *
 * <p>What a {@code Check} reads: the original method and path (with query) from {@code
 * attributes.request.http}, the key from its {@code x-api-key} or {@code authorization: Bearer}
 * header, the client address from {@code attributes.source.address} (believed only when the gRPC
 * peer, Envoy, is a trusted proxy; then Envoy's {@code x-forwarded-for} is read through the same
 * trusted-proxy rules as on HTTP), and required scopes and cost only from the route's {@code
 * context_extensions} ({@code scopes}, {@code scopes_all}, {@code cost}), which the operator sets
 * and a client cannot.
 *
 * <p><b>Security guarantees.</b> Every answer but a verified key is a denial: a check without the
 * HTTP request attributes, a method or a path, with a garbled header or a bad setting is denied 400
 * ({@code X-Keygate-Error} names why); a fault of the store or another part of verification is
 * denied 503 with {@code Retry-After}, never allowed and never a gRPC error that {@code
 * failure_mode_allow} could turn into access. On access, the identity headers replace any the
 * client sent, and those the answer does not set are removed. No answer, log line or error carries
 * the presented key. Plaintext gRPC: bind it to a private interface, next to Envoy.
 *
 * <p>Thread-safe; {@link #close()} stops serving.
 */
public final class EnvoyAuthz implements AutoCloseable {
  /** Largest {@code CheckRequest} accepted: headers only, unless Envoy is told to send bodies. */
  public static final int MAX_MESSAGE_BYTES = 1024 * 1024;

  /** Most threads the default executor runs checks on at once. */
  public static final int MAX_CHECK_THREADS = 64;

  /** How long {@link #close()} waits for checks in flight. */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

  private final Server server;
  private final ExecutorService ownExecutor;
  private volatile boolean started;

  private EnvoyAuthz(Server server, ExecutorService ownExecutor) {
    this.server = server;
    this.ownExecutor = ownExecutor;
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts serving.
   *
   * @return the bound port
   * @throws UncheckedIOException when the address cannot be bound
   */
  public int start() {
    try {
      server.start();
      started = true;
      return server.getPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the Envoy ext_authz gRPC port: " + e, e);
    }
  }

  /** The bound port (after {@link #start()}). */
  public int port() {
    return server.getPort();
  }

  /** Stops accepting checks and waits up to {@link #SHUTDOWN_GRACE} for those in flight. */
  @Override
  public void close() {
    if (started) {
      server.shutdown();
      try {
        if (!server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          server.shutdownNow();
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (ownExecutor != null) {
      ownExecutor.shutdownNow();
    }
  }

  /** Fail-fast configuration of the gRPC service. */
  public static final class Builder {
    private Keygate keygate;
    private ClientIpResolver clientIp = new ClientIpResolver(List.of());
    private String host = "127.0.0.1";
    private int port = -1;
    private Executor executor;

    private Builder() {}

    /**
     * Where checks run (they may wait for the store on a cache miss). Default: a work-stealing pool
     * of this service's own, one thread per core plus as many as checks blocked on the store need,
     * shut down by {@link #close()}; grpc-java's default cached pool hands every call to a thread
     * of its own and costs far more CPU per check.
     */
    public Builder executor(Executor e) {
      this.executor = Objects.requireNonNull(e, "executor");
      return this;
    }

    /** The core whose verifier answers checks (required). */
    public Builder keygate(Keygate kg) {
      this.keygate = Objects.requireNonNull(kg, "keygate");
      return this;
    }

    /**
     * Which gRPC peers are believed about the client's address (default: none, so the peer is the
     * client). Give the HTTP server's trusted proxies, which must include Envoy's address.
     */
    public Builder clientIp(ClientIpResolver resolver) {
      this.clientIp = Objects.requireNonNull(resolver, "clientIp");
      return this;
    }

    /**
     * The interface to bind (default {@code 127.0.0.1}).
     *
     * @throws IllegalArgumentException when blank
     */
    public Builder host(String h) {
      if (h == null || h.isBlank()) {
        throw new IllegalArgumentException("the gRPC bind address must not be blank");
      }
      this.host = h.strip();
      return this;
    }

    /**
     * The TCP port (required; 0 picks a free one).
     *
     * @throws IllegalArgumentException outside 0..65535
     */
    public Builder port(int p) {
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException("the gRPC port must be 0..65535, was " + p);
      }
      this.port = p;
      return this;
    }

    /**
     * The service, not yet listening.
     *
     * @throws IllegalStateException when the core or the port is missing
     */
    public EnvoyAuthz build() {
      if (keygate == null) {
        throw new IllegalStateException("EnvoyAuthz needs keygate(...)");
      }
      if (port < 0) {
        throw new IllegalStateException("EnvoyAuthz needs port(...)");
      }
      ExecutorService own =
          executor == null
              ? new ForkJoinPool(
                  MAX_CHECK_THREADS, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true)
              : null;
      Server s =
          NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
              .executor(executor != null ? executor : own)
              .maxInboundMessageSize(MAX_MESSAGE_BYTES)
              .addService(
                  ServerInterceptors.intercept(
                      new CheckService(keygate, clientIp), new PeerInterceptor()))
              .build();
      return new EnvoyAuthz(s, own);
    }
  }
}
