package io.keygate.server.config;

import java.util.Map;

/**
 * The Envoy ext_authz gRPC service ({@code envoy.service.auth.v3.Authorization/Check}, module
 * {@code keygate-envoy}): off unless a port is given.
 *
 * @param host the interface to bind: {@code KEYGATE_GRPC_HOST}, default the HTTP server's {@code
 *     KEYGATE_HOST}; {@code null} here means the HTTP server's
 * @param port the TCP port: {@code KEYGATE_GRPC_PORT}, default unset ({@link #OFF}, no gRPC
 *     service); 0 picks a free one
 */
public record GrpcConfig(String host, int port) {
  /** The port value meaning "no gRPC service". */
  public static final int OFF = -1;

  /** Validates. */
  public GrpcConfig {
    if (port != OFF && (port < 0 || port > 65535)) {
      throw new IllegalArgumentException("KEYGATE_GRPC_PORT must be 0..65535, was " + port);
    }
    if (host != null && host.isBlank()) {
      host = null;
    }
  }

  /** The default: off. */
  public static GrpcConfig off() {
    return new GrpcConfig(null, OFF);
  }

  /**
   * Reads {@code KEYGATE_GRPC_PORT} (unset or blank: off) and {@code KEYGATE_GRPC_HOST} through
   * {@link Settings}.
   */
  public static GrpcConfig fromEnv(Map<String, String> env) {
    Integer port = Settings.GRPC_PORT.from(env);
    return new GrpcConfig(Settings.GRPC_HOST.from(env), port == null ? OFF : port);
  }

  /** Whether the service runs. */
  public boolean enabled() {
    return port != OFF;
  }

  /** The interface to bind, given the HTTP server's. */
  public String effectiveHost(String httpHost) {
    return host != null ? host : httpHost;
  }
}
