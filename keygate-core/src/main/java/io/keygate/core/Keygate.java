package io.keygate.core;

import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditVerifier;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.key.Pepper;
import io.keygate.core.leaks.LeakPolicy;
import io.keygate.core.lifecycle.AdminTokens;
import io.keygate.core.lifecycle.KeyPolicy;
import io.keygate.core.lifecycle.KeyService;
import io.keygate.core.lifecycle.SecurityNoticeWriter;
import io.keygate.core.model.RateLimit;
import io.keygate.core.notify.ExpiryNotifier;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.response.Canaries;
import io.keygate.core.response.CanaryAlarms;
import io.keygate.core.response.LeakResponder;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.QuotaDelta;
import io.keygate.core.store.UsageDelta;
import io.keygate.core.verify.BruteForceGuard;
import io.keygate.core.verify.CanaryAlarm;
import io.keygate.core.verify.ClusterBackends;
import io.keygate.core.verify.SecurityEvents;
import io.keygate.core.verify.UsageRecorder;
import io.keygate.core.verify.VerificationListener;
import io.keygate.core.verify.Verifier;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The core's front door: wires key format, hashing, verification and lifecycle over a store.
 *
 * <pre>{@code
 * Keygate kg = Keygate.builder().store(store).pepper(new Pepper(1, secret)).build();
 * CreatedKey k = kg.keys().create(new CreateKey(...), actor);
 * Verification v = kg.verifier().verify(VerifyRequest.of(rawKey));
 * }</pre>
 *
 * <p>Thread-safe. The core starts no threads: its periodic work (usage and quota flush, rotation
 * sweep, imported-prefix refresh, expiry notices) is declared by {@link #backgroundJobs()} for the
 * host to schedule.
 */
public final class Keygate {
  /** Default number of keys held by the verification cache. */
  public static final long DEFAULT_CACHE_SIZE = 1_000_000;

  /** Default lifetime of a cache entry that nothing invalidated. */
  public static final Duration DEFAULT_CACHE_TTL = Duration.ofMinutes(5);

  /**
   * Default time a new pepper version must have been current on a node before that node re-hashes
   * keys found under an older version: long enough for a secret manager to have given the new
   * version to every node, which until then still find those keys under their old hash.
   */
  public static final Duration DEFAULT_PEPPER_REHASH_DELAY = Duration.ofMinutes(10);

  /** Default period of the {@code usage-flush} job. */
  public static final Duration DEFAULT_USAGE_FLUSH = Duration.ofSeconds(5);

  /** Default period of the {@code rotation-sweep} job. */
  public static final Duration DEFAULT_ROTATION_SWEEP = Duration.ofSeconds(60);

  /** Default period of the {@code expiry-notices} job. */
  public static final Duration DEFAULT_EXPIRY_CHECK = Duration.ofHours(1);

  /**
   * Period of the {@code imported-prefix-refresh} job: how late a key imported elsewhere (another
   * node without a shared bus, the server seen from an embedded verifier) is first accepted here.
   */
  public static final Duration IMPORTED_PREFIX_REFRESH = Duration.ofSeconds(30);

  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final UsageRecorder usage;
  private final Verifier verifier;
  private final KeyService keys;
  private final AdminTokens adminTokens;
  private final Clock clock;
  private final SecurityNoticeWriter notices;

  private final Canaries canaries;
  private final LeakResponder leaks;
  private final AuditKeys auditKeys;
  private final AuditWitness auditWitness;
  private final ExpiryNotifier expiry;
  private final List<BackgroundJob> jobs;

  private Keygate(Builder b) {
    this.store = b.store;
    this.clock = b.clock;
    this.format = new KeyFormat(b.types, b.random);
    this.hasher = new KeyHasher(b.peppers, clock);
    this.usage = new UsageRecorder();
    // Made in dependency order, each with everything it uses: nothing is rewired afterwards.
    CanaryAlarms alarms = new CanaryAlarms(store, clock, b.random);
    this.verifier =
        new Verifier(
            new Verifier.Wiring(
                format,
                hasher,
                store,
                clock,
                usage,
                b.cacheSize,
                b.cacheTtl,
                b.pepperRehashDelay,
                b.defaultRateLimits,
                b.bruteForce,
                b.cluster,
                alarms,
                b.listeners,
                b.canaryListeners));
    this.keys = new KeyService(store, format, hasher, verifier, b.policy, clock, b.random);
    this.adminTokens = new AdminTokens(keys, format);
    this.notices = new SecurityNoticeWriter(store, keys, b.random);
    this.canaries = new Canaries(store, keys, clock, alarms);
    this.leaks =
        new LeakResponder(store, format, verifier, keys, canaries, b.leakPolicy, clock, b.random);
    this.auditKeys = b.auditKeys;
    this.auditWitness = b.auditWitness;
    this.expiry =
        b.notifyStore == null
            ? null
            : new ExpiryNotifier(b.notifyStore, keys, clock, b.expiryThresholdDays);
    List<BackgroundJob> j = new ArrayList<>();
    j.add(new BackgroundJob("usage-flush", b.usageFlush, b.usageFlush, false, this::flushUsage));
    j.add(new BackgroundJob("rotation-sweep", Duration.ZERO, b.rotationSweep, true, keys::sweep));
    j.add(
        new BackgroundJob(
            "imported-prefix-refresh",
            Duration.ZERO,
            IMPORTED_PREFIX_REFRESH,
            false,
            verifier.legacyKeys()::refresh));
    if (expiry != null) {
      j.add(new BackgroundJob("expiry-notices", b.expiryCheck, b.expiryCheck, false, expiry::run));
    }
    this.jobs = List.copyOf(j);
  }

  /**
   * The periodic work this core needs, for the host to schedule (see {@link BackgroundJob}): {@code
   * usage-flush} ({@link #flushUsage}), {@code rotation-sweep} (once per cluster: records the
   * revocations whose rotation grace period ended), {@code imported-prefix-refresh} (re-reads the
   * prefixes of imported keys, so that keys imported through another process verify here) and, with
   * {@link Builder#expiryNotices}, {@code expiry-notices}. The same list for every host.
   */
  public List<BackgroundJob> backgroundJobs() {
    return jobs;
  }

  /** The expiry notifier, when {@link Builder#expiryNotices} gave it a store. */
  public Optional<ExpiryNotifier> expiryNotifier() {
    return Optional.ofNullable(expiry);
  }

  /**
   * Checks the whole audit log (every link and keyed hash, the sealed head, the witness) and says
   * what it found. Reads the whole log: an operator's call, not a per-request one.
   */
  public AuditVerifier.Report verifyAudit() {
    return new AuditVerifier(auditKeys, auditWitness).verify(store);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Lifecycle operations on API keys. */
  public KeyService keys() {
    return keys;
  }

  /** Lifecycle operations on Keygate's own admin tokens. */
  public AdminTokens adminTokens() {
    return adminTokens;
  }

  /** Leak response: confirmed leaked keys are revoked (or rotated) and recorded as incidents. */
  public LeakResponder leaks() {
    return leaks;
  }

  /** Canary keys: decoys that raise an alarm when presented. */
  public Canaries canaries() {
    return canaries;
  }

  /** The hot path. */
  public Verifier verifier() {
    return verifier;
  }

  /** Key format and types. */
  public KeyFormat format() {
    return format;
  }

  /** Keyed hashing. */
  public KeyHasher hasher() {
    return hasher;
  }

  /** The store. */
  public KeyStore store() {
    return store;
  }

  /** The clock everything reads. */
  public Clock clock() {
    return clock;
  }

  /**
   * Writes batched usage counts, quota consumption and queued security notices (brute-force blocks,
   * keys seen in URLs) to the store. On a store fault what was not written is kept for the next
   * flush and the fault propagates.
   *
   * @return number of keys whose usage was written
   */
  public int flushUsage() {
    flushQuotas();
    flushSecurityNotices();
    List<UsageDelta> batch = usage.drain();
    if (batch.isEmpty()) {
      return 0;
    }
    try {
      store.recordUsage(batch);
    } catch (RuntimeException e) {
      usage.restore(batch);
      throw e;
    }
    return batch.size();
  }

  /** Writes quota consumption since the last flush (part of {@link #flushUsage}). */
  private void flushQuotas() {
    List<QuotaDelta> q = verifier.quotas().drain();
    if (q.isEmpty()) {
      return;
    }
    try {
      store.recordQuotaUsage(q);
    } catch (RuntimeException e) {
      verifier.quotas().restore(q);
      throw e;
    }
    verifier.quotas().written(q);
  }

  /** Writes queued brute-force and exposure notices (part of {@link #flushUsage}). */
  private void flushSecurityNotices() {
    List<SecurityEvents.Notice> n = verifier.securityEvents().drain();
    try {
      notices.write(n);
    } catch (RuntimeException e) {
      verifier.securityEvents().restore(n);
      throw e;
    }
  }

  /** Fluent, fail-fast configuration. */
  public static final class Builder {
    private KeyStore store;
    private final List<Pepper> peppers = new ArrayList<>();
    private KeyTypes types = KeyTypes.defaults();
    private Clock clock = Clock.systemUTC();
    private Supplier<SecureRandom> random = defaultRandom();
    private KeyPolicy policy = KeyPolicy.DEFAULTS;
    private long cacheSize = DEFAULT_CACHE_SIZE;
    private Duration cacheTtl = DEFAULT_CACHE_TTL;
    private Duration pepperRehashDelay = DEFAULT_PEPPER_REHASH_DELAY;
    private Map<String, List<RateLimit>> defaultRateLimits = Map.of();
    private BruteForceGuard.Policy bruteForce;
    private LeakPolicy leakPolicy = LeakPolicy.REVOKE;
    private final List<VerificationListener> listeners = new ArrayList<>();
    private final List<CanaryAlarm> canaryListeners = new ArrayList<>();
    private ClusterBackends cluster = ClusterBackends.LOCAL;
    private AuditKeys auditKeys;
    private AuditWitness auditWitness;
    private Duration usageFlush = DEFAULT_USAGE_FLUSH;
    private Duration rotationSweep = DEFAULT_ROTATION_SWEEP;
    private NotifyStore notifyStore;
    private List<Integer> expiryThresholdDays = List.of();
    private Duration expiryCheck = DEFAULT_EXPIRY_CHECK;

    private Builder() {}

    /**
     * Periods of the {@code usage-flush} and {@code rotation-sweep} jobs (defaults {@link
     * #DEFAULT_USAGE_FLUSH}, {@link #DEFAULT_ROTATION_SWEEP}).
     *
     * @throws IllegalArgumentException for a period that is not positive
     */
    public Builder jobPeriods(Duration usageFlush, Duration rotationSweep) {
      this.usageFlush = positive(usageFlush, "usage flush period");
      this.rotationSweep = positive(rotationSweep, "rotation sweep period");
      return this;
    }

    /**
     * Adds the {@code expiry-notices} job: every {@code every}, owners get a notice for each of
     * their keys that expires within one of {@code thresholdDays} (each 1..3650) or has expired,
     * written to {@code store}'s outbox (default: no such job).
     *
     * @throws IllegalArgumentException for a threshold below one day or a period that is not
     *     positive
     */
    public Builder expiryNotices(NotifyStore store, List<Integer> thresholdDays, Duration every) {
      this.notifyStore = Objects.requireNonNull(store, "store");
      for (int d : thresholdDays) {
        if (d < 1 || d > 3650) {
          throw new IllegalArgumentException("expiry thresholds must be 1..3650 days, was " + d);
        }
      }
      this.expiryThresholdDays = List.copyOf(thresholdDays);
      this.expiryCheck = positive(every, "expiry check period");
      return this;
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + d);
      }
      return d;
    }

    private static Supplier<SecureRandom> defaultRandom() {
      ThreadLocal<SecureRandom> tl = ThreadLocal.withInitial(SecureRandom::new);
      return tl::get;
    }

    /** The store (required). */
    public Builder store(KeyStore s) {
      this.store = Objects.requireNonNull(s, "store");
      return this;
    }

    /** Adds a pepper version (at least one required; the highest version mints). */
    public Builder pepper(Pepper p) {
      peppers.add(Objects.requireNonNull(p, "pepper"));
      return this;
    }

    /** Adds several pepper versions. */
    public Builder peppers(List<Pepper> ps) {
      ps.forEach(this::pepper);
      return this;
    }

    /** Key types (default: {@link KeyTypes#defaults()}). */
    public Builder types(KeyTypes t) {
      this.types = Objects.requireNonNull(t, "types");
      return this;
    }

    /** The clock (default: system UTC). Tests move a fake clock instead of sleeping. */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** Randomness for keys and ids (default: a thread-local {@link SecureRandom}). */
    public Builder random(Supplier<SecureRandom> r) {
      this.random = Objects.requireNonNull(r, "random");
      return this;
    }

    /** Lifecycle policy (default: {@link KeyPolicy#DEFAULTS}). */
    public Builder policy(KeyPolicy p) {
      this.policy = Objects.requireNonNull(p, "policy");
      return this;
    }

    /** What to do with leaked live keys (default: {@link LeakPolicy#REVOKE}, revoke at once). */
    public Builder leakPolicy(LeakPolicy p) {
      this.leakPolicy = Objects.requireNonNull(p, "leakPolicy");
      return this;
    }

    /**
     * Rate limits for keys without limits of their own, by key type name (default: none).
     *
     * @throws IllegalArgumentException for duplicate limit names within one type
     */
    public Builder defaultRateLimits(Map<String, List<RateLimit>> byType) {
      for (var e : byType.entrySet()) {
        long names = e.getValue().stream().map(RateLimit::name).distinct().count();
        if (names != e.getValue().size()) {
          throw new IllegalArgumentException("duplicate rate limit name for type " + e.getKey());
        }
      }
      this.defaultRateLimits = Map.copyOf(byType);
      return this;
    }

    /**
     * Blocks source addresses that present too many invalid keys (default: off in the core; the
     * server turns it on with {@link BruteForceGuard.Policy#DEFAULTS}); {@code null} turns it off.
     * API keys and admin tokens are counted separately under the same policy, so guessing of one
     * kind never blocks an address for the other.
     */
    public Builder bruteForce(BruteForceGuard.Policy p) {
      this.bruteForce = p;
      return this;
    }

    /** Verification cache bounds. */
    public Builder cache(long maxKeys, Duration ttl) {
      if (maxKeys < 0) {
        throw new IllegalArgumentException("cache size must be >= 0, was " + maxKeys);
      }
      if (ttl == null || ttl.isNegative()) {
        throw new IllegalArgumentException("cache TTL must be >= 0, was " + ttl);
      }
      this.cacheSize = maxKeys;
      this.cacheTtl = ttl;
      return this;
    }

    /**
     * How long a pepper version must have been current on this node (since start, or since the
     * {@link KeyHasher#reload} that made it current) before a key found under an older version is
     * re-hashed under it on verification (default {@link #DEFAULT_PEPPER_REHASH_DELAY}). Until then
     * such a key verifies under its old hash, so nodes that load the new version later keep
     * accepting it; {@link Duration#ZERO} re-hashes at once.
     *
     * @throws IllegalArgumentException for a negative delay
     */
    public Builder pepperRehashDelay(Duration delay) {
      if (delay == null || delay.isNegative()) {
        throw new IllegalArgumentException("pepper re-hash delay must be >= 0, was " + delay);
      }
      this.pepperRehashDelay = delay;
      return this;
    }

    /**
     * The audit keys the store links events under and this node's witness ({@code null} for none),
     * for {@link #verifyAudit()} (default: none; the keyed part of the log then fails to verify).
     */
    public Builder audit(AuditKeys keys, AuditWitness witness) {
      this.auditKeys = Objects.requireNonNull(keys, "keys");
      this.auditWitness = witness;
      return this;
    }

    /**
     * Adds a listener told about every verification (metrics, analytics, anomaly detection), after
     * the ones added before; must be cheap and thread-safe (default: none). Listeners are isolated
     * from each other: one that throws does not stop the others and never changes the answer; the
     * failure is counted ({@link Verifier#listenerFailures()}) and logged.
     */
    public Builder verificationListener(VerificationListener l) {
      listeners.add(Objects.requireNonNull(l, "listener"));
      return this;
    }

    /**
     * Adds a listener told when a canary key is presented, after the alarm is recorded (e.g.
     * anomaly detection); isolated from the others like {@link #verificationListener}.
     */
    public Builder canaryListener(CanaryAlarm l) {
      canaryListeners.add(Objects.requireNonNull(l, "canaryListener"));
      return this;
    }

    /**
     * Where a cluster shares cache invalidation, rate limits, quotas and brute-force counters
     * (default: {@link ClusterBackends#LOCAL}, a single node). Asked for its parts once, by {@link
     * #build()}.
     */
    public Builder cluster(ClusterBackends c) {
      this.cluster = Objects.requireNonNull(c, "cluster");
      return this;
    }

    /** Builds; {@code IllegalStateException} when the store or a pepper is missing. */
    public Keygate build() {
      if (store == null) {
        throw new IllegalStateException("a store is required");
      }
      if (peppers.isEmpty()) {
        throw new IllegalStateException("at least one pepper version is required");
      }
      return new Keygate(this);
    }
  }
}
