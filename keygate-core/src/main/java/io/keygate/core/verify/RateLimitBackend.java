package io.keygate.core.verify;

import io.keygate.core.model.RateLimit;
import java.util.List;

/**
 * Where rate-limit buckets live: in this process ({@link RateLimiter}, the default) or shared by
 * every node (e.g. Redis). One call decides all of a key's limits together: either a token is taken
 * from every limit or from none.
 *
 * <p>Implementations are thread-safe and answer without throwing; a backend that cannot reach its
 * state decides by its own configured fallback.
 */
@FunctionalInterface
public interface RateLimitBackend {
  /** Takes one token from each of {@code limits} of {@code keyId}, or none of them. */
  RateLimiter.Decision tryAcquire(String keyId, List<RateLimit> limits);
}
