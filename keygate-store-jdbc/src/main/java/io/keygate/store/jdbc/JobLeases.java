package io.keygate.store.jdbc;

import io.keygate.core.store.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Cluster-wide leases for background jobs, so that a job (rotation sweep, expiry notices, outbox
 * delivery) runs on one node at a time although every node schedules it.
 *
 * <pre>{@code
 * JobLeases leases = JobLeases.of(store, nodeId, Clock.systemUTC()).orElseThrow();
 * if (leases.tryAcquire("rotation-sweep", Duration.ofMinutes(2))) { sweep(); }
 * }</pre>
 *
 * <p><b>Design.</b> One row per job in {@code job_leases}. {@link #tryAcquire} inserts the row if
 * it is missing and otherwise takes it with one atomic {@code UPDATE … WHERE job = ? AND (holder =
 * me OR leased_until < now)}: the database serialises concurrent attempts (a row lock on
 * PostgreSQL, the single writer on SQLite), so at most one node holds a live lease. The holder
 * renews it on every run; if it dies, another node takes over once the lease ends. Works the same
 * on SQLite and PostgreSQL. Leases compare against the nodes' clocks, so the lease should be much
 * longer than the clock skew between nodes (seconds at most under NTP).
 *
 * <p>A job guarded this way must still be idempotent (the sweep re-checks each key under a row
 * lock): a node that stalls past its lease may overlap with the next holder once. Thread-safe.
 */
public final class JobLeases {
  private final JdbcKeyStore store;
  private final String holder;
  private final Clock clock;

  private JobLeases(JdbcKeyStore store, String holder, Clock clock) {
    this.store = store;
    this.holder = holder;
    this.clock = clock;
  }

  /**
   * Leases over {@code store}'s database held as {@code holder} (unique per node), or empty when
   * {@code store} was not built by {@link JdbcStores}.
   */
  public static Optional<JobLeases> of(KeyStore store, String holder, Clock clock) {
    Objects.requireNonNull(holder, "holder");
    if (holder.isEmpty() || holder.length() > 128) {
      throw new IllegalArgumentException("lease holder must be 1..128 characters");
    }
    return store instanceof JdbcKeyStore j
        ? Optional.of(new JobLeases(j, holder, Objects.requireNonNull(clock, "clock")))
        : Optional.empty();
  }

  /** This node's holder id. */
  public String holder() {
    return holder;
  }

  /**
   * Takes or renews the lease on {@code job} until now + {@code lease}.
   *
   * @return whether this node holds it now
   * @throws io.keygate.core.KeygateException.StoreUnavailable when the database cannot be reached
   */
  public boolean tryAcquire(String job, Duration lease) {
    Objects.requireNonNull(job, "job");
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be positive, was " + lease);
    }
    long now = clock.millis();
    long until = now + lease.toMillis();
    return store.update(
        "tryAcquire lease " + job,
        h -> {
          int renewed =
              h.createUpdate(
                      "UPDATE job_leases SET holder = :holder, leased_until = :until"
                          + " WHERE job = :job AND (holder = :holder OR leased_until < :now)")
                  .bind("holder", holder)
                  .bind("until", until)
                  .bind("job", job)
                  .bind("now", now)
                  .execute();
          return renewed == 1
              || h.createUpdate(
                          "INSERT INTO job_leases (job, holder, leased_until)"
                              + " VALUES (:job, :holder, :until) ON CONFLICT (job) DO NOTHING")
                      .bind("job", job)
                      .bind("holder", holder)
                      .bind("until", until)
                      .execute()
                  == 1;
        });
  }

  /** Gives the lease on {@code job} up, if this node holds it (e.g. at shutdown). */
  public void release(String job) {
    store.update(
        "release lease " + job,
        h ->
            h.createUpdate(
                    "UPDATE job_leases SET leased_until = 0 WHERE job = :job AND holder = :holder")
                .bind("job", job)
                .bind("holder", holder)
                .execute());
  }
}
