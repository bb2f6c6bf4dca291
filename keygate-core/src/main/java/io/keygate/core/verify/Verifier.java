package io.keygate.core.verify;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyType;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.store.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The hot path: parse + checksum (no I/O) → HMAC → cache, then store → state → IP allowlist →
 * scopes → record usage (in memory, batched).
 *
 * <p><b>Design.</b> The cache maps the current-pepper hash to the stored record plus its parsed
 * allowlist. Time-dependent state (expiry, a rotation's scheduled revocation) is evaluated against
 * the injected clock on every call, so a cached entry never outlives its validity. Every change
 * made through {@link io.keygate.core.lifecycle.KeyService} invalidates the entry before the change
 * is acknowledged, so revocation holds on the very next verify.
 *
 * <p><b>Security guarantees.</b> Look-alikes and garbage are refused before hashing. Nothing here
 * logs, stores or returns the raw key. Lookups are by keyed hash; equality is decided by the
 * store's exact index match on a 256-bit HMAC, never by comparing secrets in variable time.
 * Thread-safe.
 */
public final class Verifier {
  /** A cached record with its allowlist parsed once. */
  private record Entry(ApiKeyRecord key, IpAllowlist allowlist) {}

  private final KeyFormat format;
  private final KeyHasher hasher;
  private final KeyStore store;
  private final Clock clock;
  private final UsageRecorder usage;
  private final Cache<String, Entry> cache;
  private volatile VerificationListener listener = VerificationListener.NONE;

  /**
   * @param cacheSize most keys kept in memory
   * @param cacheTtl how long an entry lives without being invalidated (safety net)
   */
  public Verifier(
      KeyFormat format,
      KeyHasher hasher,
      KeyStore store,
      Clock clock,
      UsageRecorder usage,
      long cacheSize,
      Duration cacheTtl) {
    this.format = format;
    this.hasher = hasher;
    this.store = store;
    this.clock = clock;
    this.usage = usage;
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(cacheSize)
            .expireAfterWrite(cacheTtl)
            .recordStats()
            .build();
  }

  /**
   * Sets the listener told about every verification (default: {@link VerificationListener#NONE}).
   * Set once while wiring, before the verifier serves requests.
   */
  public void listener(VerificationListener l) {
    this.listener = java.util.Objects.requireNonNull(l, "listener");
  }

  /** Verifies a request. Never throws for bad input; store faults propagate as exceptions. */
  public Verification verify(VerifyRequest req) {
    long start = System.nanoTime();
    Verification v = check(req);
    VerificationListener l = listener;
    if (l != VerificationListener.NONE) {
      try {
        l.onVerification(req, v, clock.instant(), System.nanoTime() - start);
      } catch (RuntimeException e) {
        // a listener fault must never change an answer; listeners report their own faults
      }
    }
    return v;
  }

  private Verification check(VerifyRequest req) {
    String key = req.key();
    if (key == null || key.isEmpty()) {
      return new Verification.Rejected(Outcome.MISSING_API_KEY, null, "no API key was presented");
    }
    KeyType type = format.identify(key);
    if (type == null) {
      return new Verification.Rejected(Outcome.INVALID_KEY, null, "the API key is not valid");
    }
    Entry entry = lookup(key);
    if (entry == null) {
      return new Verification.Rejected(Outcome.INVALID_KEY, null, "the API key is not valid");
    }
    ApiKeyRecord rec = entry.key();
    Instant now = clock.instant();
    KeyStatus status = rec.effectiveStatus(now);
    switch (status) {
      case REVOKED:
        return new Verification.Rejected(Outcome.KEY_REVOKED, rec, "the API key has been revoked");
      case DISABLED:
        return new Verification.Rejected(Outcome.KEY_DISABLED, rec, "the API key is disabled");
      case EXPIRED:
        return new Verification.Rejected(Outcome.KEY_EXPIRED, rec, "the API key has expired");
      default:
        break;
    }
    if (!entry.allowlist().allows(req.ip())) {
      return new Verification.Rejected(
          Outcome.IP_NOT_ALLOWED,
          rec,
          req.ip() == null
              ? "the key has an IP allowlist and the request carries no client IP"
              : "the client IP is not in the key's allowlist");
    }
    if (!hasAnyScope(rec.settings().scopes(), req.requiredScopes())) {
      return new Verification.Rejected(
          Outcome.INSUFFICIENT_SCOPE,
          rec,
          "the key has none of the required scopes " + req.requiredScopes());
    }
    usage.record(rec.keyId(), now);
    return new Verification.Valid(rec);
  }

  private static boolean hasAnyScope(List<String> granted, List<String> required) {
    if (required.isEmpty()) {
      return true;
    }
    for (String r : required) {
      if (granted.contains(r)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Finds the record of a well-formed key, from the cache or the store; tries older pepper versions
   * and re-hashes under the current one on a hit.
   */
  private Entry lookup(String key) {
    // get(key, loader) is atomic per key: an invalidate() racing with a load waits for it and
    // then removes what it loaded, so a revocation can never be overwritten by a stale read.
    return cache.get(hasher.hash(key), hash -> load(key, hash));
  }

  private Entry load(String key, String hash) {
    Optional<ApiKeyRecord> found = store.findByHash(hash);
    if (found.isEmpty()) {
      found = findUnderOlderPepper(key, hash);
    }
    return found.map(r -> new Entry(r, IpAllowlist.parse(r.settings().ipAllowlist()))).orElse(null);
  }

  private Optional<ApiKeyRecord> findUnderOlderPepper(String key, String currentHash) {
    for (int v : hasher.olderVersions()) {
      Optional<ApiKeyRecord> old = store.findByHash(hasher.hash(v, key));
      if (old.isPresent()) {
        return Optional.of(rehash(old.get(), currentHash));
      }
    }
    return Optional.empty();
  }

  private ApiKeyRecord rehash(ApiKeyRecord old, String currentHash) {
    Instant now = clock.instant();
    return store.inTransaction(
        tx -> {
          ApiKeyRecord locked = tx.lockKey(old.keyId()).orElse(old);
          if (locked.pepperVersion() == hasher.currentVersion()) {
            return locked;
          }
          ApiKeyRecord updated = locked.withHash(currentHash, hasher.currentVersion(), now);
          tx.updateKey(updated);
          tx.appendAudit(
              new AuditEntry(
                  now,
                  "system",
                  "key.rehashed",
                  old.keyId(),
                  old.ownerId(),
                  null,
                  Map.of(
                      "from_pepper_version", Integer.toString(old.pepperVersion()),
                      "to_pepper_version", Integer.toString(hasher.currentVersion()))));
          return updated;
        });
  }

  /** Resolves a presented key to its record without state checks (for admin authentication). */
  public Optional<ApiKeyRecord> find(String key) {
    if (format.identify(key) == null) {
      return Optional.empty();
    }
    Entry e = lookup(key);
    return e == null ? Optional.empty() : Optional.of(e.key());
  }

  /** Drops the cached entry for a stored hash. Call before acknowledging any key change. */
  public void invalidate(String hash) {
    cache.invalidate(hash);
  }

  /** Drops every cached entry. */
  public void invalidateAll() {
    cache.invalidateAll();
  }

  /** Cache hit ratio since start, for metrics. */
  public double cacheHitRatio() {
    return cache.stats().hitRate();
  }

  /** Entries currently cached. */
  public long cachedKeys() {
    return cache.estimatedSize();
  }
}
