package io.keygate.redis;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * Skips Redis for a while after a failure, so that a dead or slow Redis costs one command timeout
 * per {@code openFor} rather than one per request: a Resilience4j circuit breaker that one failure
 * opens, that stays open for {@code openFor}, and that then lets exactly one call through as a
 * probe (half-open) while every other call keeps using its fallback; the probe's success closes it,
 * its failure opens it for another {@code openFor}. One breaker is shared by a node's rate limits,
 * brute-force counters and quotas.
 *
 * <p>Each user runs its calls through its own {@link #user}: a call goes to Redis when the breaker
 * lets it, and is answered by the user's fallback otherwise or when it throws. Thread-safe.
 */
final class RedisBreaker {
  private final CircuitBreaker breaker;

  /** A breaker opening for {@code openFor}, timed on {@code clock}. */
  RedisBreaker(Duration openFor, Clock clock) {
    this.breaker =
        CircuitBreaker.of(
            "keygate-redis",
            CircuitBreakerConfig.custom()
                // a window of one call: the last call decides, so one failure opens
                .slidingWindow(1, 1, CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .failureRateThreshold(100)
                .recordExceptions(RuntimeException.class)
                .waitDurationInOpenState(openFor)
                .permittedNumberOfCallsInHalfOpenState(1)
                // a probe that never reports (it cannot: commands time out) reopens after openFor
                .maxWaitDurationInHalfOpenState(openFor)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .clock(clock)
                .build());
  }

  /**
   * A user of this breaker (rate limits, quotas, brute-force counters) logging to {@code log}: once
   * when a failure opens the breaker ({@code failed}, whose {@code {}} is the failure) and once
   * when Redis answers again ({@code back}).
   */
  User user(Logger log, String failed, String back) {
    return new User(log, failed, back);
  }

  /**
   * A {@link #user} whose failure line names the {@code fallback} in force: {@code "Redis <what>
   * failed (<failure>); using the <fallback> fallback until Redis answers"}.
   */
  User user(Logger log, String what, RateLimitFallback fallback, String back) {
    return user(
        log,
        "Redis "
            + what
            + " failed ({}); using the "
            + fallback.name().toLowerCase(Locale.ROOT)
            + " fallback until Redis answers",
        back);
  }

  /** One user of the breaker, with its count of fallback answers. Thread-safe. */
  final class User {
    private final Logger log;
    private final String failed;
    private final String back;
    private final AtomicLong fallbacks = new AtomicLong();

    private User(Logger log, String failed, String back) {
      this.log = log;
      this.failed = failed;
      this.back = back;
    }

    /**
     * The answer of {@code redis} when the breaker lets the call through and it does not throw;
     * otherwise that of {@code fallback}, counted in {@link #fallbacks()}.
     */
    <T> T call(Supplier<T> redis, Supplier<T> fallback) {
      if (allow()) {
        try {
          T answer = redis.get();
          if (success()) {
            log.info(back);
          }
          return answer;
        } catch (RuntimeException e) {
          if (failure(e)) {
            log.warn(failed, e.toString());
          }
        }
      }
      fallbacks.incrementAndGet();
      return fallback.get();
    }

    /** Calls answered by the fallback since start, for metrics. */
    long fallbacks() {
      return fallbacks.get();
    }
  }

  /** Whether Redis should be tried now (closed, or this call is the half-open probe). */
  boolean allow() {
    return breaker.tryAcquirePermission();
  }

  /** Records a successful call; returns whether this closed the breaker (Redis just came back). */
  boolean success() {
    State before = breaker.getState();
    breaker.onSuccess(0, TimeUnit.NANOSECONDS);
    return before != State.CLOSED && breaker.getState() == State.CLOSED;
  }

  /** Records a failed call; returns whether this opened a closed breaker (Redis just went away). */
  boolean failure(Throwable cause) {
    State before = breaker.getState();
    breaker.onError(0, TimeUnit.NANOSECONDS, cause);
    return before == State.CLOSED && breaker.getState() == State.OPEN;
  }

  /** Whether Redis is being skipped or probed (open or half-open). */
  boolean isOpen() {
    return breaker.getState() != State.CLOSED;
  }
}
