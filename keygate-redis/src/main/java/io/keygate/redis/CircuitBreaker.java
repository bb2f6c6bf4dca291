package io.keygate.redis;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Skips Redis for a while after a failure, so that a dead or slow Redis costs one command timeout
 * per {@code openFor} rather than one per request. After {@code openFor} the next call tries Redis
 * again; a success closes the breaker, a failure opens it for another {@code openFor}.
 *
 * <p>Thread-safe; lock-free.
 */
final class CircuitBreaker {
  private final long openForNanos;
  private final LongSupplier nanoTime;
  private volatile long openUntil;
  private volatile boolean open;

  CircuitBreaker(Duration openFor, LongSupplier nanoTime) {
    this.openForNanos = openFor.toNanos();
    this.nanoTime = nanoTime;
  }

  /** Whether Redis should be tried now. */
  boolean allow() {
    return !open || nanoTime.getAsLong() - openUntil >= 0;
  }

  /** Records a successful call; returns whether the breaker was open (Redis just came back). */
  boolean success() {
    if (open) {
      open = false;
      return true;
    }
    return false;
  }

  /** Records a failed call; returns whether the breaker was closed (Redis just went away). */
  boolean failure() {
    boolean wasOpen = open;
    openUntil = nanoTime.getAsLong() + openForNanos;
    open = true;
    return !wasOpen;
  }

  /** Whether the breaker is open (Redis is being skipped or retried). */
  boolean isOpen() {
    return open;
  }
}
