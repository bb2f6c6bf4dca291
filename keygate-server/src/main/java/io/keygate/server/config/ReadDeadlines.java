package io.keygate.server.config;

import java.time.Duration;
import java.util.Map;

/**
 * How long the HTTP server waits for what a client sends, so that slow clients (slowloris) cost a
 * connection for a bounded time only. Jetty's idle timeout (30 s without a byte) still applies.
 *
 * @param header a request's line and headers must arrive within this of their first byte (for a new
 *     connection: of the connection opening, TLS handshake included): {@code
 *     KEYGATE_REQUEST_HEADER_TIMEOUT_SECONDS}, default 10
 * @param minBodyBytesPerSecond a request body read more slowly than this on average is cut off:
 *     {@code KEYGATE_MIN_REQUEST_BYTES_PER_SECOND}, default 1024; 0 turns the check off
 */
public record ReadDeadlines(Duration header, long minBodyBytesPerSecond) {
  public static final Duration DEFAULT_HEADER = Duration.ofSeconds(10);
  public static final long DEFAULT_MIN_BODY_BYTES_PER_SECOND = 1024;

  /** Validates. */
  public ReadDeadlines {
    if (header == null || header.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("the request header timeout must be at least 1 s");
    }
    if (minBodyBytesPerSecond < 0) {
      throw new IllegalArgumentException(
          "KEYGATE_MIN_REQUEST_BYTES_PER_SECOND must be >= 0, was " + minBodyBytesPerSecond);
    }
  }

  /** Defaults: 10 s for a request head, bodies at 1 KiB/s at least. */
  public static ReadDeadlines defaults() {
    return fromEnv(Map.of());
  }

  /**
   * Reads {@code KEYGATE_REQUEST_HEADER_TIMEOUT_SECONDS} and {@code
   * KEYGATE_MIN_REQUEST_BYTES_PER_SECOND} through {@link Settings}.
   */
  public static ReadDeadlines fromEnv(Map<String, String> env) {
    return new ReadDeadlines(
        Settings.REQUEST_HEADER_TIMEOUT.from(env), Settings.MIN_REQUEST_BYTES_PER_SECOND.from(env));
  }
}
