package io.keygate.spring;

import io.keygate.core.Keygate;
import io.keygate.core.verify.Outcome;

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
   * Reports a request whose URL carried a key, and answers its refusal: Keygate tells the key's
   * owner ({@code key.exposed_in_url}) and counts the attempt towards brute force for {@code
   * clientIp}. The answer is {@code api_key_in_url}, or {@code rate_limited} while the address is
   * blocked. This default refuses without reporting, for verifiers that cannot report.
   *
   * @param target the request URI as sent, query included (it holds the key)
   * @param clientIp the client IP as the filter decided it, or {@code null}
   * @throws KeygateUnavailableException when the report cannot be made (the filter still refuses)
   */
  default KeyVerdict keyInUrl(String target, String clientIp) {
    return KeyVerdict.refused(Outcome.API_KEY_IN_URL);
  }

  /**
   * Verifies in-process with {@code keygate}'s hot path (same store, same pepper as the server).
   * Revocations made by another process become visible when the entry leaves {@code keygate}'s
   * verification cache: build it with a short cache TTL (see {@link Keygate.Builder#cache}).
   */
  static KeyVerifier embedded(Keygate keygate) {
    return new EmbeddedKeyVerifier(keygate);
  }
}
