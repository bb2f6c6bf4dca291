package io.keygate.core.verify;

import java.time.Instant;

/**
 * Tells the other nodes of a cluster that a key changed, so that they drop their cached copy.
 *
 * <p>{@link Verifier#invalidate} drops the local entry first and then publishes the stored hash; a
 * bus delivers it to every other node, which calls {@link Verifier#invalidateLocal}. Delivery is
 * best effort: a bus that is down must not fail the change (the local cache TTL bounds how long
 * another node may serve the old state), so implementations swallow and report their own faults and
 * never block for long.
 *
 * <p>Implementations are thread-safe. The hash published is the keyed hash the store holds, never a
 * raw key.
 */
@FunctionalInterface
public interface InvalidationBus {
  /** A bus for a single node: publishes nothing. */
  InvalidationBus NONE = hash -> {};

  /** Announces that the key stored under {@code hash} changed. Never throws. */
  void publish(String hash);

  /**
   * Announces that the key stored under {@code hash} was revoked at {@code revokedAt}, so that the
   * other nodes can mark their cached copy revoked without reading the store ({@link
   * Verifier#revokedLocal}). Never throws; the default announces a plain change ({@link #publish}).
   */
  default void publishRevoked(String hash, Instant revokedAt) {
    publish(hash);
  }

  /**
   * Announces that keys were imported, so that the other nodes re-read the imported prefixes
   * ({@link LegacyKeys#refresh}). Never throws; the default publishes nothing.
   */
  default void importedKeysChanged() {}

  /**
   * What a bus delivers to on the receiving node: the verifier's local cache and imported-prefix
   * table. Given to the bus when it is made ({@link ClusterBackends#invalidationBus}); every method
   * is safe to call from any thread, and none publishes anything.
   */
  interface Receiver {
    /** Drops the cached entry for a stored hash ({@link Verifier#invalidateLocal}). */
    void invalidateLocal(String hash);

    /** Marks a cached entry revoked at {@code at} ({@link Verifier#revokedLocal}). */
    void revokedLocal(String hash, Instant at);

    /** Drops every cached entry (after missed messages). */
    void invalidateAll();

    /** Re-reads the prefixes of imported keys ({@link LegacyKeys#refresh}); reads the store. */
    void refreshImported();
  }
}
