package io.keygate.core.verify;

/**
 * Where brute-force counters live: in this process ({@link BruteForceGuard}, the default) or shared
 * by every node (e.g. Redis), so that an address spreading invalid keys over several nodes is
 * counted once. Mirrors {@link RateLimitBackend}.
 *
 * <p>Contract: {@link #recordFailure} counts one invalid-key answer and answers as {@link
 * BruteForceGuard#recordFailure} does — {@code null} within the threshold, else the block in force,
 * with {@link BruteForceGuard.Block#started} true for exactly the one failure that reached the
 * threshold (so exactly {@code threshold} invalid-key answers precede a block, however many nodes
 * or threads race). {@link #blockedFor} is asked on every request and must stay cheap: no I/O.
 *
 * <p>Implementations are thread-safe and answer without throwing; a backend that cannot reach its
 * state decides by its own fallback (typically a {@link BruteForceGuard} in this process).
 */
public interface BruteForceBackend {
  /** Whole seconds (at least 1) {@code ip} stays blocked, or 0 when it is not known blocked. */
  long blockedFor(String ip, long nowMillis);

  /** Counts an invalid-key answer for {@code ip}; see {@link BruteForceGuard#recordFailure}. */
  BruteForceGuard.Block recordFailure(String ip);
}
