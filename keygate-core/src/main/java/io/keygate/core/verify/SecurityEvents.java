package io.keygate.core.verify;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keygate.core.model.ApiKeyRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Security notices raised on the request path (an address blocked for brute force, a key seen in a
 * URL), queued in memory and written to the audit log and outbox by the background flush, so a
 * request never waits on the database for them. Exposure notices are de-duplicated per key within
 * {@link #EXPOSURE_DEDUPE}, so a flood of requests carrying the same key yields one event. Notices
 * queued but not yet flushed are lost if the process dies (at most one flush interval).
 * Thread-safe.
 */
public final class SecurityEvents {
  /** Window within which repeated exposures of one key produce a single notice. */
  public static final Duration EXPOSURE_DEDUPE = Duration.ofMinutes(10);

  /** A notice to write. */
  public sealed interface Notice permits IpBlocked, ExposedInUrl, RateLimitExceeded {}

  /**
   * An address was blocked.
   *
   * @param ip the address
   * @param attempts invalid-key answers that led to the block
   * @param duration block length
   * @param at when the block started
   * @param kind which credentials the address was guessing (each kind has its own counters)
   */
  public record IpBlocked(
      String ip, int attempts, Duration duration, Instant at, CredentialKind kind)
      implements Notice {}

  /**
   * A key arrived in a URL's query string and must be treated as exposed.
   *
   * @param key the key
   * @param sourceIp the client address, or {@code null}
   * @param at when it was seen
   */
  public record ExposedInUrl(ApiKeyRecord key, String sourceIp, Instant at) implements Notice {}

  /**
   * A key was refused for its rate limit or quota; queued at most once per key within {@link
   * #EXPOSURE_DEDUPE} (the owner is told, not flooded).
   *
   * @param key the key
   * @param code {@code rate_limited} or {@code quota_exceeded}
   * @param message the refusal's explanation (names the limit, never the key)
   * @param at when it happened
   */
  public record RateLimitExceeded(ApiKeyRecord key, String code, String message, Instant at)
      implements Notice {}

  private final Clock clock;
  private final ConcurrentLinkedQueue<Notice> pending = new ConcurrentLinkedQueue<>();
  private final Cache<String, Boolean> exposed;
  private final Cache<String, Boolean> throttled;

  /** Notices reading time from {@code clock}. */
  public SecurityEvents(Clock clock) {
    this.clock = clock;
    this.exposed =
        Caffeine.newBuilder()
            .maximumSize(100_000)
            .ticker(() -> clock.millis() * 1_000_000L)
            .expireAfterWrite(EXPOSURE_DEDUPE)
            .build();
    this.throttled =
        Caffeine.newBuilder()
            .maximumSize(100_000)
            .ticker(() -> clock.millis() * 1_000_000L)
            .expireAfterWrite(EXPOSURE_DEDUPE)
            .build();
  }

  /**
   * Queues a {@code ratelimit.exceeded} notice for the key's owner unless one was queued for the
   * key within the dedupe window. A cheap map probe on the refusal path only.
   */
  public void rateLimitExceeded(ApiKeyRecord key, String code, String message) {
    if (throttled.getIfPresent(key.keyId()) == null
        && throttled.asMap().putIfAbsent(key.keyId(), Boolean.TRUE) == null) {
      pending.add(new RateLimitExceeded(key, code, message, clock.instant()));
    }
  }

  /** Queues a notice. */
  void add(Notice n) {
    pending.add(n);
  }

  /** Queues an exposure notice unless one for the same key was queued within the dedupe window. */
  public boolean exposedInUrl(ApiKeyRecord key, String sourceIp) {
    if (exposed.asMap().putIfAbsent(key.keyId(), Boolean.TRUE) != null) {
      return false;
    }
    pending.add(new ExposedInUrl(key, sourceIp, clock.instant()));
    return true;
  }

  /** Removes and returns every queued notice, oldest first. */
  public List<Notice> drain() {
    List<Notice> out = new ArrayList<>();
    for (Notice n; (n = pending.poll()) != null; ) {
      out.add(n);
    }
    return out;
  }

  /** Gives back notices that could not be written. */
  public void restore(List<Notice> notices) {
    pending.addAll(notices);
  }
}
