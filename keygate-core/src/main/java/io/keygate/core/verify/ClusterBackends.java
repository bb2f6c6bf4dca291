package io.keygate.core.verify;

/**
 * Where a cluster of nodes shares verification state (a Redis adapter, for instance): cache
 * invalidation, rate-limit buckets, quota balances and brute-force counters. Given to {@code
 * Keygate.builder().cluster(...)}; while it builds the verifier the builder asks for each part
 * once, in this order: {@link #invalidationBus}, {@link #rateLimits}, {@link #quotas}, then {@link
 * #bruteForce} for each {@link CredentialKind} (only when brute-force protection is on), handing
 * over the in-process part a shared one may fall back to. Every method has a default that keeps
 * that part in this process, so {@link #LOCAL} is a single node.
 *
 * <p><b>Contract.</b> Implementations are thread-safe and serve one verifier: asking twice is a
 * wiring mistake they may refuse with {@link IllegalStateException}. The parts they return follow
 * the contracts of {@link InvalidationBus}, {@link RateLimitBackend}, {@link QuotaBackend} and
 * {@link BruteForceBackend} (never fail a verification because shared state is unreachable).
 */
public interface ClusterBackends {
  /** A single node: everything stays in this process. */
  ClusterBackends LOCAL = new ClusterBackends() {};

  /**
   * The bus that carries this node's invalidations to the others and delivers theirs to {@code
   * receiver} (default: {@link InvalidationBus#NONE}, which delivers nothing).
   */
  default InvalidationBus invalidationBus(InvalidationBus.Receiver receiver) {
    return InvalidationBus.NONE;
  }

  /** Where rate-limit buckets live (default: {@code local}, this process). */
  default RateLimitBackend rateLimits(RateLimiter local) {
    return local;
  }

  /** Where quota balances are decided (default: {@code local}, this process). */
  default QuotaBackend quotas(QuotaLedger local) {
    return local;
  }

  /**
   * Where the brute-force counters of {@code kind} live (default: {@code local}, this process's
   * guard for that kind). The kinds must keep separate counters.
   */
  default BruteForceBackend bruteForce(CredentialKind kind, BruteForceGuard local) {
    return local;
  }
}
