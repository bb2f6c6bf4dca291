package io.keygate.spring;

import io.keygate.core.Keygate;

/**
 * How {@link KeygateFilter} decides whether a presented key may pass. Two implementations ship:
 * {@link #embedded(Keygate) in-process} over the Keygate store the application shares with the
 * server, and {@link RemoteKeyVerifier remote} against a Keygate server's {@code /v1/verify}.
 *
 * <p><b>Contract.</b> Expected refusals are {@link KeyVerdict} values, never exceptions. When the
 * verifier cannot decide (database down, server unreachable or misconfigured) it throws {@link
 * KeygateUnavailableException}; the filter then fails closed with 503 {@code keygate_unavailable}.
 * Implementations must be thread-safe and must never log, store or echo the raw key.
 */
@FunctionalInterface
public interface KeyVerifier {

  /**
   * Verifies one request's key.
   *
   * @throws KeygateUnavailableException when the answer cannot be determined
   */
  KeyVerdict verify(KeyRequest request);

  /**
   * Verifies in-process with {@code keygate}'s hot path (same store, same pepper as the server).
   * Revocations made by another process become visible when the entry leaves {@code keygate}'s
   * verification cache: build it with a short cache TTL (see {@link Keygate.Builder#cache}).
   */
  static KeyVerifier embedded(Keygate keygate) {
    return new EmbeddedKeyVerifier(keygate);
  }
}
