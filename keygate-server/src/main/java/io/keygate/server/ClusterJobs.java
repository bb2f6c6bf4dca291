package io.keygate.server;

import io.keygate.core.store.KeyStore;
import io.keygate.store.jdbc.JobLeases;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

/**
 * Runs background jobs once cluster-wide: a job runs on this node only while it holds the job's
 * lease ({@link JobLeases}, one row per job in the shared database). With a store that is not a
 * JDBC store, every job always runs (a single node). A store fault while taking the lease skips the
 * run (the job is retried on its next schedule). Thread-safe.
 */
public final class ClusterJobs {
  /** Runs every job (a single node, or a store without leases). */
  public static final ClusterJobs ALWAYS = new ClusterJobs(null, Duration.ofMinutes(2));

  private final JobLeases leases;
  private final Duration lease;

  private ClusterJobs(JobLeases leases, Duration lease) {
    this.leases = leases;
    this.lease = lease;
  }

  /** Leases over {@code store} held by a fresh node id, each lasting {@code lease}. */
  public static ClusterJobs forStore(KeyStore store, Duration lease) {
    String holder = "node-" + UUID.randomUUID();
    return JobLeases.of(store, holder, Clock.systemUTC())
        .map(l -> new ClusterJobs(l, lease))
        .orElse(ALWAYS);
  }

  /**
   * Whether this node should run {@code job} now: takes or renews its lease. Schedule the job more
   * often than the lease lasts so that the holder keeps it.
   *
   * @throws io.keygate.core.KeygateException.StoreUnavailable when the database cannot be reached
   */
  public boolean holds(String job) {
    return leases == null || leases.tryAcquire(job, lease);
  }

  /** This node's lease holder id, or {@code null} without leases. */
  public String holder() {
    return leases == null ? null : leases.holder();
  }
}
