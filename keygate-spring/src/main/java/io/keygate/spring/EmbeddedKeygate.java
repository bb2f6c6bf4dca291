package io.keygate.spring;

import io.keygate.core.BackgroundJob;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.SecretChecks;
import io.keygate.core.audit.AuditKey;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.key.Pepper;
import io.keygate.core.key.SecretFile;
import io.keygate.core.store.KeyStore;
import io.keygate.store.jdbc.ChangeFeed;
import io.keygate.store.jdbc.JdbcStores;
import io.keygate.store.jdbc.JobLeases;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process Keygate of {@code keygate.mode=embedded}: the server's database (through
 * keygate-store-jdbc), pepper file and audit key file, a verification cache, a daemon thread that
 * runs the core's background jobs ({@link Keygate#backgroundJobs()}: usage flush, rotation sweep
 * under a job lease shared with the server, and the imported-prefix refresh that lets keys imported
 * through the server verify here) and one that reads the database's key change feed every {@link
 * #CHANGE_POLL} ({@link ChangeFeed}), so that a key revoked, disabled or changed by the server is
 * seen within that however long the cache TTL (which bounds it only while the database cannot be
 * read).
 *
 * <p><b>Security guarantees.</b> Refuses a pepper or audit key file that group or others can read,
 * and never logs key material. Like a server node, it refuses to start when its pepper or audit key
 * is not the one the database was written with (it would answer {@code invalid_key} for the
 * server's keys, or fail every audit event it writes: re-hashes, brute-force blocks). {@link
 * #close()} stops the jobs, writes pending usage and closes the store. Thread-safe.
 */
final class EmbeddedKeygate implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKeygate.class);

  /** Keys held by the embedded verification cache. */
  static final long CACHE_SIZE = 100_000;

  /**
   * How long this process holds the lease of a once-per-cluster job (the server's default {@code
   * KEYGATE_JOB_LEASE_SECONDS}); longer than every such job's period, so the holder keeps it.
   */
  static final Duration JOB_LEASE = Duration.ofSeconds(120);

  /** How often the database's key change feed is read ({@link ChangeFeed}). */
  static final Duration CHANGE_POLL = Duration.ofMillis(250);

  private final KeyStore store;
  private final Keygate keygate;
  private final JobLeases leases;
  private final ScheduledExecutorService jobs;
  private final ScheduledExecutorService changes;
  private final ChangeFeed.Follower follower;
  private final AtomicLong pollFailures = new AtomicLong();

  private EmbeddedKeygate(KeyStore store, Keygate keygate, Clock clock) {
    this.store = store;
    this.keygate = keygate;
    this.leases = JobLeases.of(store, "embedded-" + UUID.randomUUID(), clock).orElse(null);
    this.jobs = daemon("keygate-jobs");
    // the core's own list, as on a server node: usage flush, rotation sweep, imported prefixes
    for (BackgroundJob job : keygate.backgroundJobs()) {
      jobs.scheduleWithFixedDelay(
          () -> runQuietly(job),
          job.initialDelay().toMillis(),
          job.period().toMillis(),
          TimeUnit.MILLISECONDS);
    }
    // a thread of its own: a slow background job must not delay a revocation
    this.follower = ChangeFeed.of(store).orElseThrow().follow(keygate.verifier());
    this.changes = daemon("keygate-changes");
    long poll = CHANGE_POLL.toMillis();
    changes.scheduleWithFixedDelay(this::pollQuietly, poll, poll, TimeUnit.MILLISECONDS);
  }

  private static ScheduledExecutorService daemon(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  private void pollQuietly() {
    try {
      follower.poll();
      pollFailures.set(0);
    } catch (RuntimeException e) {
      if (pollFailures.getAndIncrement() % 100 == 0) {
        LOG.warn("reading Keygate's key change feed failed, will retry: {}", e.getMessage());
      }
    }
  }

  /** One run: a once-per-cluster job only while holding its lease; a fault is logged. */
  private void runQuietly(BackgroundJob job) {
    try {
      if (job.oncePerCluster() && leases != null && !leases.tryAcquire(job.name(), JOB_LEASE)) {
        return; // the server (or another embedded process) runs it this time
      }
      job.task().run();
    } catch (RuntimeException e) {
      LOG.warn("Keygate background job {} failed, will retry: {}", job.name(), e.getMessage());
    }
  }

  /**
   * Opens the store at {@code databaseUrl} with the peppers of {@code pepperFile} and the audit
   * keys of {@code auditKeyFile} (default: {@code audit-key} next to the pepper file, as in the
   * server's data directory), after checking both against the database. Runs the core's background
   * jobs ({@link Keygate#backgroundJobs()}) on a daemon thread, with usage flushed every {@code
   * flushEvery}. Keys under an older pepper version are re-hashed under the newest one once it has
   * been loaded for {@code rehashDelay} ({@link Keygate.Builder#pepperRehashDelay}).
   *
   * @throws KeygateException.SecretMismatch the pepper or audit key differs from the server's
   */
  static EmbeddedKeygate open(
      String databaseUrl,
      Path pepperFile,
      Path auditKeyFile,
      Duration cacheTtl,
      Duration flushEvery,
      Duration rehashDelay) {
    if (databaseUrl == null || databaseUrl.isBlank()) {
      throw new IllegalStateException("keygate.mode=embedded needs keygate.database-url");
    }
    if (pepperFile == null) {
      throw new IllegalStateException("keygate.mode=embedded needs keygate.pepper-file");
    }
    if (cacheTtl == null || cacheTtl.isNegative()) {
      throw new IllegalArgumentException("keygate.cache-ttl must be >= 0, was " + cacheTtl);
    }
    if (rehashDelay == null || rehashDelay.isNegative()) {
      throw new IllegalArgumentException(
          "keygate.pepper-rehash-delay must be >= 0, was " + rehashDelay);
    }
    if (flushEvery == null || flushEvery.isNegative() || flushEvery.isZero()) {
      throw new IllegalArgumentException(
          "keygate.usage-flush-interval must be positive, was " + flushEvery);
    }
    List<Pepper> peppers = loadPeppers(pepperFile);
    Path auditFile = auditKeyFile != null ? auditKeyFile : pepperFile.resolveSibling("audit-key");
    AuditKeys auditKeys = loadAuditKeys(auditFile);
    KeyStore store = JdbcStores.fromUrl(databaseUrl).auditKeys(auditKeys).build();
    try {
      Keygate kg =
          Keygate.builder()
              .store(store)
              .peppers(peppers)
              .cache(CACHE_SIZE, cacheTtl)
              .pepperRehashDelay(rehashDelay)
              .audit(auditKeys, null)
              .jobPeriods(flushEvery, Keygate.DEFAULT_ROTATION_SWEEP)
              .build();
      SecretChecks.require(
          store,
          SecretChecks.pepper(kg.hasher()),
          "keygate.pepper-file " + pepperFile,
          "Point keygate.pepper-file at the Keygate server's pepper file (or a copy of it).");
      store.sealAuditHead();
      SecretChecks.require(
          store,
          SecretChecks.auditKey(auditKeys),
          "keygate.audit-key-file " + auditFile,
          "Point keygate.audit-key-file at the Keygate server's audit-key file (or a copy of"
              + " it).");
      return new EmbeddedKeygate(store, kg, Clock.systemUTC());
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** {@link #open(String, Path, Path, Duration, Duration, Duration)} with the default delay. */
  static EmbeddedKeygate open(
      String databaseUrl,
      Path pepperFile,
      Path auditKeyFile,
      Duration cacheTtl,
      Duration flushEvery) {
    return open(
        databaseUrl,
        pepperFile,
        auditKeyFile,
        cacheTtl,
        flushEvery,
        Keygate.DEFAULT_PEPPER_REHASH_DELAY);
  }

  /** The core. */
  Keygate keygate() {
    return keygate;
  }

  @Override
  public void close() {
    changes.shutdownNow();
    jobs.shutdownNow();
    try {
      keygate.flushUsage();
    } catch (RuntimeException e) {
      LOG.warn("Keygate usage flush at close failed: {}", e.getMessage());
    }
    store.close();
  }

  /**
   * Reads the server's audit key file. Embedded mode writes audit events (re-hashes under a newer
   * pepper, brute-force blocks), so it needs the server's key; it never makes one of its own.
   */
  static AuditKeys loadAuditKeys(Path file) {
    if (!Files.exists(file)) {
      throw new IllegalStateException(
          "keygate.mode=embedded writes audit events and needs the Keygate server's audit key:"
              + " set keygate.audit-key-file to the server's <data dir>/audit-key (none at "
              + file
              + ")");
    }
    try {
      return new AuditKeys(
          SecretFile.load(file, "audit key").stream()
              .map(v -> new AuditKey(v.version(), v.secret()))
              .toList());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read audit key file " + file + ": " + e, e);
    }
  }

  /**
   * Reads a pepper file in the server's format ({@link SecretFile}: one {@code v<N>:<base64>} line
   * per version); refuses a file readable by group or others.
   */
  static List<Pepper> loadPeppers(Path file) {
    try {
      return SecretFile.load(file, "pepper").stream()
          .map(v -> new Pepper(v.version(), v.secret()))
          .toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read pepper file " + file + ": " + e, e);
    }
  }
}
