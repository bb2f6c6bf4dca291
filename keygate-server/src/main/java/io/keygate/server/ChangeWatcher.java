package io.keygate.server;

import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.Verifier;
import io.keygate.store.jdbc.ChangeFeed;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node's verification cache in step with the database's change feed ({@link ChangeFeed}):
 * the second propagation path beside Redis pub/sub, which it does not depend on. Polls on a thread
 * of its own (a slow background job must not delay a revocation) every {@code
 * KEYGATE_CHANGE_POLL_MS}, and on PostgreSQL also as soon as a {@code NOTIFY} says a change
 * committed ({@code KEYGATE_CHANGE_LISTEN}); prunes rows older than {@link #RETENTION} once a
 * minute on the node holding the {@value #PRUNE_JOB} lease.
 *
 * <p>With Redis up, a change usually arrives over pub/sub first and again from the feed; applying
 * it twice is harmless (a revocation marks the cached copy revoked, which is idempotent; a plain
 * change drops the entry, costing at most one extra store read). A node's own changes are never
 * re-applied (see {@link ChangeFeed}). While the database is unreachable nothing is lost: the next
 * successful poll reads from where the last one ended. Thread-safe.
 */
final class ChangeWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeWatcher.class);

  /** How long rows stay in the feed: far longer than any poll interval or short outage. */
  static final Duration RETENTION = Duration.ofHours(1);

  /** The job lease under which one node prunes the feed. */
  static final String PRUNE_JOB = "key-changes-prune";

  private static final long PRUNE_EVERY_SECONDS = 60;

  private final ChangeFeed feed;
  private final ChangeFeed.Follower follower;
  private final Duration interval;
  private final ClusterJobs jobs;
  private final Clock clock;
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong lastPolled;
  private final ChangeFeed.Waiter waiter;
  private volatile boolean closed;
  private final ScheduledExecutorService threads =
      Executors.newScheduledThreadPool(
          2,
          r -> {
            Thread t = new Thread(r, "keygate-changes");
            t.setDaemon(true);
            return t;
          });

  private ChangeWatcher(
      ChangeFeed feed,
      Verifier verifier,
      Duration interval,
      boolean listen,
      ClusterJobs jobs,
      Clock clock) {
    this.feed = feed;
    this.follower = feed.follow(verifier);
    this.waiter = feed.waiter(listen);
    this.interval = interval;
    this.jobs = jobs;
    this.clock = clock;
    this.lastPolled = new AtomicLong(clock.millis());
  }

  /**
   * A watcher over {@code store}'s feed, following from its current head, or empty when the store
   * has no feed (not a JDBC store).
   *
   * @throws io.keygate.core.KeygateException.StoreUnavailable when the database cannot be reached
   */
  static Optional<ChangeWatcher> of(
      KeyStore store,
      Verifier verifier,
      Duration interval,
      boolean listen,
      ClusterJobs jobs,
      Clock clock) {
    return ChangeFeed.of(store)
        .map(f -> new ChangeWatcher(f, verifier, interval, listen, jobs, clock));
  }

  /** Starts following (poll, wait for a notification or the interval, poll, …) and pruning. */
  void start() {
    threads.execute(this::follow);
    threads.scheduleWithFixedDelay(
        this::pruneQuietly, PRUNE_EVERY_SECONDS, PRUNE_EVERY_SECONDS, TimeUnit.SECONDS);
  }

  private void follow() {
    try {
      while (!closed) {
        waiter.await(interval);
        pollQuietly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
    } finally {
      waiter.close();
    }
  }

  private void pollQuietly() {
    try {
      follower.poll();
      lastPolled.set(clock.millis());
      failures.set(0);
    } catch (RuntimeException e) {
      if (failures.getAndIncrement() % 100 == 0) {
        LOG.warn(
            "reading the key change feed failed, will retry every {} ms: {}",
            interval.toMillis(),
            e.getMessage());
      }
    }
  }

  private void pruneQuietly() {
    try {
      if (jobs.holds(PRUNE_JOB)) {
        feed.prune(clock.instant().minus(RETENTION));
      }
    } catch (RuntimeException e) {
      LOG.warn("pruning the key change feed failed, will retry: {}", e.getMessage());
    }
  }

  /**
   * Registers the feed's meters: rows applied, whole-cache drops, and the seconds since the last
   * successful poll (alert when it exceeds a few seconds: this node then depends on Redis alone and
   * its cache TTL).
   */
  void register(MeterRegistry registry) {
    FunctionCounter.builder("keygate_key_changes_applied", follower, ChangeFeed.Follower::applied)
        .description("Key changes made on other nodes applied from the database's change feed")
        .register(registry);
    FunctionCounter.builder(
            "keygate_key_changes_cache_drops", follower, ChangeFeed.Follower::cacheDrops)
        .description("Whole-cache drops because change feed rows were missing or unreadable")
        .register(registry);
    Gauge.builder(
            "keygate_key_changes_poll_age_seconds",
            lastPolled,
            t -> (clock.millis() - t.get()) / 1000.0)
        .description("Seconds since this node last read the database's key change feed")
        .register(registry);
  }

  /** The follower this watcher drives (position and counters, for tests and metrics). */
  ChangeFeed.Follower follower() {
    return follower;
  }

  @Override
  public void close() {
    closed = true;
    threads.shutdownNow();
  }
}
