package io.keygate.core.verify;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Blocks a source IP that presents too many invalid keys: after {@code threshold} invalid-key
 * answers within {@code window}, every request from that IP is refused with {@code rate_limited}
 * for a cooling period that doubles with each further block, up to {@code maxBlock}. Only the
 * blocked address is affected; the check is one hash-map lookup.
 *
 * <p><b>Design.</b> Per-IP trackers live in a bounded cache (expiring after the longer of the
 * window and the largest block, on the injected clock). A tracker counts failures in a fixed window
 * from the first one; the failure that reaches the threshold is still answered {@code invalid_key}
 * and starts the block, and any failure counted beyond it (a request racing the block) is answered
 * {@code rate_limited} — so exactly {@code threshold} invalid-key answers precede the block, also
 * under concurrency. The block level falls back to the base duration after an address stayed
 * unblocked for {@code maxBlock}. Thread-safe.
 */
public final class BruteForceGuard implements BruteForceBackend {
  /**
   * The guard's settings.
   *
   * @param threshold invalid-key answers per window before the address is blocked ({@code >= 1})
   * @param window counting window
   * @param block first block duration; each repeat doubles it
   * @param maxBlock largest block duration
   */
  public record Policy(int threshold, Duration window, Duration block, Duration maxBlock) {
    public static final int DEFAULT_THRESHOLD = 20;
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
    public static final Duration DEFAULT_BLOCK = Duration.ofMinutes(1);
    public static final Duration DEFAULT_MAX_BLOCK = Duration.ofHours(1);

    /** Defaults: 20 invalid keys per minute, blocks of 1 minute doubling up to 1 hour. */
    public static final Policy DEFAULTS =
        new Policy(DEFAULT_THRESHOLD, DEFAULT_WINDOW, DEFAULT_BLOCK, DEFAULT_MAX_BLOCK);

    /** Validates the settings. */
    public Policy {
      Objects.requireNonNull(window, "window");
      Objects.requireNonNull(block, "block");
      Objects.requireNonNull(maxBlock, "maxBlock");
      if (threshold < 1) {
        throw new IllegalArgumentException("brute-force threshold must be >= 1, was " + threshold);
      }
      if (window.toMillis() < 1 || block.toMillis() < 1000) {
        throw new IllegalArgumentException(
            "brute-force window must be positive and block at least 1 s");
      }
      if (maxBlock.compareTo(block) < 0) {
        throw new IllegalArgumentException(
            "brute-force max block (" + maxBlock + ") must be >= block (" + block + ")");
      }
    }
  }

  /** What {@link #recordFailure} decided. */
  public record Block(boolean started, long retryAfterSeconds, int attempts, Duration duration) {}

  private static final class Tracker {
    int failures;
    long windowStart;
    volatile long blockedUntil;
    int level;
    long lastBlockEnd = Long.MIN_VALUE;
  }

  private final Policy policy;
  private final Clock clock;
  private final Cache<String, Tracker> trackers;

  /**
   * The latest end of any block ever started: from then on no address is blocked, so {@link
   * #blockedFor} answers without a lookup (the normal case: every request asks, few are blocked).
   */
  private final AtomicLong lastBlockEnds = new AtomicLong(Long.MIN_VALUE);

  /** A guard over at most {@code maxAddresses} tracked addresses. */
  public BruteForceGuard(Policy policy, Clock clock, long maxAddresses) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = clock;
    Duration keep =
        policy.window().compareTo(policy.maxBlock()) > 0 ? policy.window() : policy.maxBlock();
    this.trackers =
        Caffeine.newBuilder()
            .maximumSize(maxAddresses)
            .ticker(() -> clock.millis() * 1_000_000L)
            .expireAfterAccess(keep.multipliedBy(2))
            .build();
  }

  /** The settings in force. */
  public Policy policy() {
    return policy;
  }

  /** Whole seconds (at least 1) {@code ip} stays blocked, or 0 when it is not blocked. */
  @Override
  public long blockedFor(String ip, long nowMillis) {
    if (nowMillis >= lastBlockEnds.get()) {
      return 0;
    }
    Tracker t = trackers.getIfPresent(ip);
    if (t == null) {
      return 0;
    }
    long until = t.blockedUntil;
    return nowMillis < until ? Math.max(1, (until - nowMillis + 999) / 1000) : 0;
  }

  /**
   * Counts an invalid-key answer for {@code ip}.
   *
   * @return {@code null} while the address is within the threshold (answer {@code invalid_key}),
   *     else the block in force (answer {@code rate_limited} unless {@link Block#started} says this
   *     very failure reached the threshold, which is still answered {@code invalid_key})
   */
  @Override
  public Block recordFailure(String ip) {
    long now = clock.millis();
    Tracker t = trackers.get(ip, k -> new Tracker());
    synchronized (t) {
      if (t.blockedUntil != 0 && now >= t.blockedUntil) {
        t.lastBlockEnd = t.blockedUntil;
        t.blockedUntil = 0;
        t.failures = 0;
      }
      if (t.blockedUntil != 0) {
        return new Block(false, Math.max(1, (t.blockedUntil - now + 999) / 1000), t.failures, null);
      }
      if (t.failures == 0 || now - t.windowStart >= policy.window().toMillis()) {
        t.failures = 0;
        t.windowStart = now;
      }
      t.failures++;
      if (t.failures < policy.threshold()) {
        return null;
      }
      if (t.lastBlockEnd != Long.MIN_VALUE
          && now - t.lastBlockEnd >= policy.maxBlock().toMillis()) {
        t.level = 0;
      }
      Duration d = duration(t.level);
      t.level = Math.min(t.level + 1, 40);
      t.blockedUntil = now + d.toMillis();
      lastBlockEnds.accumulateAndGet(t.blockedUntil, Math::max);
      return new Block(true, d.toSeconds(), t.failures, d);
    }
  }

  private Duration duration(int level) {
    Duration d = policy.block();
    for (int i = 0; i < level && d.compareTo(policy.maxBlock()) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(policy.maxBlock()) > 0 ? policy.maxBlock() : d;
  }
}
