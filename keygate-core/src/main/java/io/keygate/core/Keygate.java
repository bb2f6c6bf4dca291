package io.keygate.core;

import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.KeyPolicy;
import io.keygate.core.lifecycle.KeyService;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.UsageDelta;
import io.keygate.core.verify.UsageRecorder;
import io.keygate.core.verify.VerificationListener;
import io.keygate.core.verify.Verifier;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
 * <p>Thread-safe. Background work (usage flush, rotation sweep) is exposed as methods for the host
 * to schedule; the core starts no threads.
 */
public final class Keygate {
  /** Default number of keys held by the verification cache. */
  public static final long DEFAULT_CACHE_SIZE = 1_000_000;

  /** Default lifetime of a cache entry that nothing invalidated. */
  public static final Duration DEFAULT_CACHE_TTL = Duration.ofMinutes(5);

  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final UsageRecorder usage;
  private final Verifier verifier;
  private final KeyService keys;
  private final Clock clock;

  private Keygate(Builder b) {
    this.store = b.store;
    this.clock = b.clock;
    this.format = new KeyFormat(b.types, b.random);
    this.hasher = new KeyHasher(b.peppers);
    this.usage = new UsageRecorder();
    this.verifier = new Verifier(format, hasher, store, clock, usage, b.cacheSize, b.cacheTtl);
    this.keys = new KeyService(store, format, hasher, verifier, b.policy, clock, b.random);
    this.verifier.listener(b.listener);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Lifecycle operations. */
  public KeyService keys() {
    return keys;
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
   * Writes batched usage counts to the store. On a store fault the counts are kept for the next
   * flush and the fault propagates.
   *
   * @return number of keys whose usage was written
   */
  public int flushUsage() {
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
    private VerificationListener listener = VerificationListener.NONE;

    private Builder() {}

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
     * Told about every verification (metrics, analytics, anomaly detection); must be cheap and
     * thread-safe (default: none).
     */
    public Builder verificationListener(VerificationListener l) {
      this.listener = Objects.requireNonNull(l, "listener");
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
