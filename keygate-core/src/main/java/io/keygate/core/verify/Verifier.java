package io.keygate.core.verify;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyType;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import io.keygate.core.request.IpAddresses;
import io.keygate.core.request.IpAllowlist;
import io.keygate.core.store.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hot path: parse + checksum (no I/O) → HMAC → cache, then store → state → IP allowlist →
 * scopes and endpoint rules → rate limits → quota → record usage (in memory, batched). An address
 * the optional {@link BruteForceGuard} has blocked is refused before the key is even parsed;
 * attempts are counted per {@link IpAddresses#counterKey} (the normalised address, an IPv6 /64).
 *
 * <p><b>Design.</b> The cache maps the current-pepper hash to the stored record plus its parsed
 * allowlist and endpoint rules. Settings a key was stored with that cannot be evaluated (a rule or
 * allowlist entry written before every write path validated them) fail closed: the key is refused
 * ({@code insufficient_scope} or {@code ip_not_allowed}) until its settings are corrected, never
 * answered with an error. Time-dependent state (expiry, a rotation's scheduled revocation) is
 * evaluated against the injected clock on every call, so a cached entry never outlives its
 * validity. Every change made through {@link io.keygate.core.lifecycle.KeyService} invalidates the
 * entry before the change is acknowledged, so revocation holds on the very next verify.
 *
 * <p>A key found under an older pepper version is re-hashed under the current one only once that
 * version has been current here for the configured delay ({@link KeyHasher#settled}): until then
 * nodes that have not loaded the new version yet still find it. Meanwhile its entry is cached under
 * the current-pepper hash while its changes are announced under its stored hash, which matches no
 * cache key; such an entry remembers how many changes this node had seen when its load began, and
 * is read again from the store once any change arrived since.
 *
 * <p>API keys and admin tokens never stand in for each other ({@link CredentialKind}): {@link
 * #verify} answers an admin token exactly as an unknown key ({@code invalid_key}), {@link
 * #authenticate} refuses anything but an admin token, and each kind counts its failures in its own
 * brute-force counters, so guessing of one kind never blocks an address for the other.
 *
 * <p><b>Security guarantees.</b> Look-alikes and garbage are refused before hashing. Nothing here
 * logs, stores or returns the raw key. Lookups are by keyed hash; equality is decided by the
 * store's exact index match on a 256-bit HMAC, never by comparing secrets in variable time.
 * Thread-safe.
 */
public final class Verifier {
  /**
   * A cached record with its allowlist parsed once, whether it is a canary, and its usage counter
   * (held here so a verification records usage without a lookup by key id). {@code defect} is
   * non-null when the stored settings cannot be evaluated; the key is then refused with it. {@code
   * changesSeen} is {@link #OWN_HASH} for an entry cached under its stored hash, else the count of
   * {@link LocalCache#changes} when its load began.
   */
  private record Entry(
      ApiKeyRecord key,
      IpAllowlist allowlist,
      boolean canary,
      EndpointRules rules,
      List<RateLimit> limits,
      UsageRecorder.Counter usage,
      Defect defect,
      long changesSeen) {
    Entry withKey(ApiKeyRecord k) {
      return new Entry(k, allowlist, canary, rules, limits, usage, defect, changesSeen);
    }
  }

  /**
   * {@link Entry#changesSeen} of an entry cached under its stored hash, which the changes of its
   * key invalidate directly.
   */
  private static final long OWN_HASH = -1;

  /** Why a key's stored settings cannot be evaluated, and the refusal that follows. */
  private record Defect(Outcome outcome, String message) {}

  /** Limits applied to a key that has none of its own, by key type name. */
  private final Map<String, List<RateLimit>> defaultLimits;

  private final RateLimiter localLimiter;
  private final RateLimitBackend limiter;
  private final InvalidationBus bus;
  private final LegacyKeys legacy;
  private final QuotaLedger quotas = new QuotaLedger();
  private final QuotaBackend quotaBackend;
  private final SecurityEvents events;
  private final BruteForceGuard guard;
  private final BruteForceGuard adminGuard;
  private final BruteForceBackend bruteForceBackend;
  private final BruteForceBackend adminBruteForceBackend;

  private final KeyFormat format;
  private final KeyHasher hasher;
  private final KeyStore store;
  private final Clock clock;
  private final UsageRecorder usage;
  private final Cache<KeyHasher.Digest, Entry> cache;
  private final LocalCache local;
  private final Duration rehashDelay;
  private final Listeners listeners;
  private final CanaryAlarm canaryAlarm;

  /**
   * Everything a verifier is made with; {@code io.keygate.core.Keygate.builder()} fills it in.
   *
   * @param cacheSize most keys kept in memory
   * @param cacheTtl how long an entry lives without being invalidated (safety net)
   * @param pepperRehashDelay how long a pepper version must have been current on this node before
   *     keys found under an older version are re-hashed under it
   * @param defaultRateLimits limits of a key without limits of its own, by key type name
   * @param bruteForce the brute-force policy, or {@code null} for no brute-force guard
   * @param cluster where shared state lives ({@link ClusterBackends#LOCAL} for a single node)
   * @param canaryAlarm told first when a canary key is presented; its fault propagates
   * @param listeners told about every verification, each isolated from the others
   * @param canaryListeners told after {@code canaryAlarm}, each isolated from the others
   */
  public record Wiring(
      KeyFormat format,
      KeyHasher hasher,
      KeyStore store,
      Clock clock,
      UsageRecorder usage,
      long cacheSize,
      Duration cacheTtl,
      Duration pepperRehashDelay,
      Map<String, List<RateLimit>> defaultRateLimits,
      BruteForceGuard.Policy bruteForce,
      ClusterBackends cluster,
      CanaryAlarm canaryAlarm,
      List<VerificationListener> listeners,
      List<CanaryAlarm> canaryListeners) {
    /** Checks the required parts and copies the collections. */
    public Wiring {
      Objects.requireNonNull(format, "format");
      Objects.requireNonNull(hasher, "hasher");
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(usage, "usage");
      Objects.requireNonNull(cacheTtl, "cacheTtl");
      Objects.requireNonNull(pepperRehashDelay, "pepperRehashDelay");
      Objects.requireNonNull(cluster, "cluster");
      Objects.requireNonNull(canaryAlarm, "canaryAlarm");
      Map<String, List<RateLimit>> m = new HashMap<>();
      defaultRateLimits.forEach((t, l) -> m.put(t, List.copyOf(l)));
      defaultRateLimits = Map.copyOf(m);
      listeners = List.copyOf(listeners);
      canaryListeners = List.copyOf(canaryListeners);
    }
  }

  /**
   * Builds a verifier with all its collaborators; nothing is rewired afterwards. Asks {@code
   * w.cluster()} for its parts in the order {@link ClusterBackends} states.
   */
  public Verifier(Wiring w) {
    this.format = w.format();
    this.hasher = w.hasher();
    this.store = w.store();
    this.clock = w.clock();
    this.usage = w.usage();
    this.defaultLimits = w.defaultRateLimits();
    this.localLimiter = new RateLimiter(clock, Math.max(1, w.cacheSize()));
    LegacyKeys legacyKeys = new LegacyKeys(store, hasher, clock);
    this.legacy = legacyKeys;
    this.events = new SecurityEvents(clock);
    Cache<KeyHasher.Digest, Entry> c =
        Caffeine.newBuilder()
            .maximumSize(w.cacheSize())
            .expireAfterWrite(w.cacheTtl())
            .recordStats()
            .build();
    this.cache = c;
    this.local = new LocalCache(c, legacyKeys, new AtomicLong());
    this.rehashDelay = w.pepperRehashDelay();
    this.listeners = new Listeners(w.listeners(), w.canaryListeners());
    this.canaryAlarm = w.canaryAlarm();
    ClusterBackends cluster = w.cluster();
    this.bus = Objects.requireNonNull(cluster.invalidationBus(local), "invalidationBus");
    this.limiter = Objects.requireNonNull(cluster.rateLimits(localLimiter), "rateLimits");
    this.quotaBackend = Objects.requireNonNull(cluster.quotas(quotas), "quotas");
    if (w.bruteForce() == null) {
      this.guard = null;
      this.adminGuard = null;
      this.bruteForceBackend = null;
      this.adminBruteForceBackend = null;
    } else {
      // two guards: API keys and admin tokens keep separate counters under one policy
      this.guard = new BruteForceGuard(w.bruteForce(), clock, MAX_TRACKED_ADDRESSES);
      this.adminGuard = new BruteForceGuard(w.bruteForce(), clock, MAX_TRACKED_ADDRESSES);
      this.bruteForceBackend =
          Objects.requireNonNull(cluster.bruteForce(CredentialKind.API_KEY, guard), "bruteForce");
      this.adminBruteForceBackend =
          Objects.requireNonNull(
              cluster.bruteForce(CredentialKind.ADMIN_TOKEN, adminGuard), "bruteForce");
      if (bruteForceBackend == adminBruteForceBackend) {
        throw new IllegalStateException(
            "the cluster gave one brute-force backend for API keys and admin tokens");
      }
    }
  }

  /** Most source addresses each brute-force guard (API keys, admin tokens) tracks at once. */
  public static final long MAX_TRACKED_ADDRESSES = 100_000;

  /** Keys imported by their plain SHA-256 (see {@link LegacyKeys}). */
  public LegacyKeys legacyKeys() {
    return legacy;
  }

  /** The in-process limiter (the default backend, and a fallback for shared ones). */
  public RateLimiter localRateLimiter() {
    return localLimiter;
  }

  /** Listener and canary-listener failures since start (each was isolated and logged). */
  public long listenerFailures() {
    return listeners.failures();
  }

  /** The brute-force guard of API keys in force, or {@code null}. */
  public BruteForceGuard bruteForce() {
    return guard;
  }

  /** The in-process brute-force guard of one credential kind, or {@code null} while off. */
  public BruteForceGuard bruteForce(CredentialKind kind) {
    return kind == CredentialKind.ADMIN_TOKEN ? adminGuard : guard;
  }

  /** Live quota balances (flushed by {@link io.keygate.core.Keygate#flushUsage}). */
  public QuotaLedger quotas() {
    return quotas;
  }

  /** Security notices waiting to be written (flushed by {@link io.keygate.core.Keygate}). */
  public SecurityEvents securityEvents() {
    return events;
  }

  /**
   * Refuses a request that carried a key in its URL (see {@link
   * io.keygate.core.request.RequestTarget#findKey}): the key has leaked into logs, proxies and
   * history. When it is a stored key, its owner gets a {@code key.exposed_in_url} notice (at most
   * one per key per {@link SecurityEvents#EXPOSURE_DEDUPE}); the key is not revoked, that is the
   * owner's decision. A canary trips its alarm instead, with {@code sourceIp} and {@code userAgent}
   * as the caller. The attempt counts towards brute force for {@code sourceIp} like an invalid key
   * (the lookup costs as much, and a guesser must not get a free channel). The answer is the same
   * whether or not the key exists.
   *
   * @return {@code api_key_in_url}, or {@code rate_limited} while the address is blocked (then the
   *     key is not even looked up)
   */
  public Verification keyInUrl(ApiKeySecret key, String sourceIp, String userAgent) {
    String counted = IpAddresses.counterKey(sourceIp);
    BruteForceBackend g = bruteForceBackend;
    Verification blocked = blocked(g, counted);
    if (blocked != null) {
      return blocked;
    }
    Entry e = lookup(key.reveal());
    if (e != null && e.canary()) {
      tripped(
          e.key(),
          new VerifyRequest(
              null, IpAddresses.normalize(sourceIp), null, null, null, null, 1, userAgent));
    } else if (e != null) {
      events.exposedInUrl(e.key(), sourceIp);
    }
    return failure(
        g,
        counted,
        CredentialKind.API_KEY,
        new Verification.Rejected(
            Outcome.API_KEY_IN_URL,
            null,
            "API keys must not be sent in the URL; use the X-API-Key or Authorization header and"
                + " rotate the exposed key"));
  }

  /**
   * Verifies an API key. Never throws for bad input; store faults propagate as exceptions. An admin
   * token is answered exactly as an unknown key.
   */
  public Verification verify(VerifyRequest req) {
    return verify(req, req.ip());
  }

  /**
   * Verifies a request whose invalid-key attempts the brute-force guard counts against {@code
   * sourceIp} (which may differ from the client IP the allowlist checks, e.g. the calling service
   * of {@code /v1/verify} when it gives no client IP); {@code null} skips the guard.
   */
  public Verification verify(VerifyRequest req, String sourceIp) {
    return verify(req, sourceIp, null);
  }

  /**
   * Like {@link #verify(VerifyRequest, String)} for a caller limited to one owner: a key of any
   * other owner is answered exactly as an unknown key ({@code invalid_key}, no record, counted by
   * the brute-force guard), before its state, limits or quota are looked at, so the caller learns
   * nothing about it and spends none of its allowance.
   *
   * @param owner the owner the caller is limited to, or {@code null} for any owner
   */
  public Verification verify(VerifyRequest req, String sourceIp, String owner) {
    if (listeners.noVerificationListener()) {
      return check(req, sourceIp, CredentialKind.API_KEY, owner);
    }
    long start = System.nanoTime();
    Verification v = check(req, sourceIp, CredentialKind.API_KEY, owner);
    // each listener is isolated: a fault never changes the answer nor stops the others
    listeners.onVerification(req, v, clock.instant(), System.nanoTime() - start);
    return v;
  }

  /**
   * Checks a credential for Keygate's own API (an admin token) exactly as {@link #verify} does, the
   * brute-force guard (the admin tokens' own counters) and usage recording included, but without
   * telling the listener: admin calls are not API-key traffic, so they stay out of the verification
   * metrics and anomaly detection (and cost one listener call less on every admin request, {@code
   * /v1/verify} among them). A key that is not an admin token is refused ({@code invalid_key},
   * message {@link #NOT_AN_ADMIN_TOKEN}) without counting as a guess: it is a real key, presented
   * to the wrong API.
   */
  public Verification authenticate(VerifyRequest req) {
    return check(req, req.ip(), CredentialKind.ADMIN_TOKEN, null);
  }

  /** The message of {@link #authenticate}'s refusal of an API key. */
  public static final String NOT_AN_ADMIN_TOKEN = "the key is not an admin token";

  private Verification check(
      VerifyRequest req, String sourceIp, CredentialKind kind, String owner) {
    String key = req.key();
    if (key == null || key.isEmpty()) {
      return new Verification.Rejected(Outcome.MISSING_API_KEY, null, "no API key was presented");
    }
    BruteForceBackend g =
        kind == CredentialKind.ADMIN_TOKEN ? adminBruteForceBackend : bruteForceBackend;
    String counted = IpAddresses.counterKey(sourceIp);
    Verification blocked = blocked(g, counted);
    if (blocked != null) {
      return blocked;
    }
    KeyType type = format.identify(key);
    if (type == null && !legacy.mayBeImported(key)) {
      return invalid(g, counted, kind);
    }
    Entry entry = lookup(key);
    if (entry == null) {
      return invalid(g, counted, kind);
    }
    ApiKeyRecord rec = entry.key();
    if (entry.canary()) {
      // Answer exactly as for an unknown key: the caller must not learn it hit a canary.
      tripped(rec, req);
      return invalid(g, counted, kind);
    }
    if (rec.adminToken() != (kind == CredentialKind.ADMIN_TOKEN)) {
      return kind == CredentialKind.ADMIN_TOKEN
          ? new Verification.Rejected(Outcome.INVALID_KEY, null, NOT_AN_ADMIN_TOKEN)
          : invalid(g, counted, kind);
    }
    if (owner != null && !owner.equals(rec.ownerId())) {
      return invalid(g, counted, kind);
    }
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
    if (entry.defect() != null) {
      return new Verification.Rejected(entry.defect().outcome(), rec, entry.defect().message());
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
    if (!rec.settings().scopes().containsAll(req.requiredScopesAll())) {
      return new Verification.Rejected(
          Outcome.INSUFFICIENT_SCOPE,
          rec,
          "the key lacks some of the scopes required together " + req.requiredScopesAll());
    }
    if (entry.rules() != null) {
      // Fail closed: rules that cannot be evaluated grant nothing.
      if (req.method() == null || req.path() == null) {
        return new Verification.Rejected(
            Outcome.INSUFFICIENT_SCOPE,
            rec,
            "the key has endpoint rules and the request carries no method and path to check"
                + " them against");
      }
      if (!entry.rules().matches(req.method(), req.path())) {
        return new Verification.Rejected(
            Outcome.INSUFFICIENT_SCOPE,
            rec,
            "the key's endpoint rules do not allow " + req.method() + " on this path");
      }
    }
    List<LimitState> limitStates = List.of();
    if (!entry.limits().isEmpty()) {
      RateLimiter.Decision d = limiter.tryAcquire(rec.keyId(), entry.limits());
      if (!d.admitted()) {
        events.rateLimitExceeded(rec, Outcome.RATE_LIMITED.code(), "rate limit exceeded");
        return new Verification.Rejected(
            Outcome.RATE_LIMITED,
            rec,
            "rate limit exceeded; retry after " + d.retryAfterSeconds() + " s",
            d.states(),
            null,
            d.retryAfterSeconds());
      }
      limitStates = d.states();
    }
    Long quotaLeft = null;
    Quota q = rec.settings().quota();
    if (q != null) {
      long nowMs = now.toEpochMilli();
      long left = quotaBackend.trySpend(rec.keyId(), q, req.cost(), nowMs);
      if (left < 0) {
        long refill = QuotaLedger.secondsToRefill(q, nowMs);
        events.rateLimitExceeded(rec, Outcome.QUOTA_EXCEEDED.code(), "quota used up");
        return new Verification.Rejected(
            Outcome.QUOTA_EXCEEDED,
            rec,
            refill == 0
                ? "the key's quota is used up"
                : "the key's quota is used up until it is refilled in " + refill + " s",
            limitStates,
            -1 - left,
            refill == 0 ? 0 : refill);
      }
      quotaLeft = left;
    }
    entry.usage().record(now);
    return limitStates.isEmpty() && quotaLeft == null
        ? new Verification.Valid(rec)
        : new Verification.Valid(rec, limitStates, quotaLeft);
  }

  /** The refusal for an address {@code g} has blocked, or {@code null}. */
  private Verification blocked(BruteForceBackend g, String counted) {
    long seconds = g == null || counted == null ? 0 : g.blockedFor(counted, clock.millis());
    return seconds > 0 ? blockedAnswer(seconds) : null;
  }

  private Verification invalid(BruteForceBackend g, String counted, CredentialKind kind) {
    return failure(
        g,
        counted,
        kind,
        new Verification.Rejected(Outcome.INVALID_KEY, null, "the API key is not valid"));
  }

  /**
   * Counts a failed attempt of {@code kind} from {@code counted} (an {@link
   * IpAddresses#counterKey}): {@code answer}, or the block in force when the address was already
   * blocked.
   */
  private Verification failure(
      BruteForceBackend g, String counted, CredentialKind kind, Verification answer) {
    if (g != null && counted != null) {
      BruteForceGuard.Block b = g.recordFailure(counted);
      if (b != null) {
        if (b.started()) {
          events.add(
              new SecurityEvents.IpBlocked(
                  counted, b.attempts(), b.duration(), clock.instant(), kind));
        } else {
          return blockedAnswer(b.retryAfterSeconds());
        }
      }
    }
    return answer;
  }

  private static Verification blockedAnswer(long retryAfter) {
    return new Verification.Rejected(
        Outcome.RATE_LIMITED,
        null,
        "too many invalid API keys from this address; blocked for " + retryAfter + " s",
        List.of(),
        null,
        retryAfter);
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
    // Loads of one key under two pepper versions do not coalesce: a load that began before a
    // reload can miss a row that a load after it has just re-hashed to the new version. A miss
    // while the version moved is therefore tried again under the new one (bounded: reloads are
    // operator actions).
    for (int attempt = 0; ; attempt++) {
      int version = hasher.currentVersion();
      KeyHasher.Digest digest = hasher.digest(key);
      Entry found = cache.get(digest, d -> load(key, d.hex()));
      if (found != null && found.changesSeen() != OWN_HASH && outdated(found)) {
        // read again through the cache: the fresh entry is kept, and the load stays atomic with
        // invalidations like any other
        cache.asMap().remove(digest, found);
        found = cache.get(digest, d -> load(key, d.hex()));
      }
      if (found != null || attempt == 2 || hasher.currentVersion() == version) {
        return found;
      }
    }
  }

  /**
   * Whether an entry cached under another hash than its stored one must be read again: a key change
   * arrived since its load began (it may concern this key), or its key is now due to be re-hashed.
   */
  private boolean outdated(Entry e) {
    return e.changesSeen() != local.changes().get()
        || (e.key().pepperVersion() < hasher.currentVersion() && hasher.settled(rehashDelay));
  }

  private Entry load(String key, String hash) {
    long changes = local.changes().get(); // before any read: a change after it makes this outdated
    Optional<ApiKeyRecord> found = store.findByHash(hash);
    if (found.isEmpty()) {
      found = findUnderOlderPepper(key);
    }
    if (found.isEmpty()) {
      found = legacy.find(key);
    }
    return found.map(r -> entry(r, r.hash().equals(hash) ? OWN_HASH : changes)).orElse(null);
  }

  /**
   * The cache entry of a stored record. Settings that cannot be parsed (stored before every write
   * path validated them) make an entry whose {@link Defect} refuses the key: a broken allowlist
   * admits no address, broken endpoint rules admit no request.
   */
  private Entry entry(ApiKeyRecord r, long changesSeen) {
    IpAllowlist allowlist = IpAllowlist.parse(List.of());
    EndpointRules rules = null;
    Defect defect = null;
    try {
      allowlist = IpAllowlist.parse(r.settings().ipAllowlist());
    } catch (IllegalArgumentException e) {
      defect =
          new Defect(
              Outcome.IP_NOT_ALLOWED,
              "the key's stored IP allowlist cannot be read, so no address is allowed; correct it"
                  + " with an update");
    }
    try {
      rules = EndpointRules.compile(r.settings().scopes());
    } catch (IllegalArgumentException e) {
      defect =
          new Defect(
              Outcome.INSUFFICIENT_SCOPE,
              "the key's stored endpoint rules cannot be read, so no request is allowed; correct"
                  + " its scopes with an update");
    }
    return new Entry(
        r,
        allowlist,
        isCanary(r),
        rules,
        r.settings().rateLimits().isEmpty()
            ? defaultLimits.getOrDefault(r.type(), List.of())
            : r.settings().rateLimits(),
        usage.counter(r.keyId()),
        defect,
        changesSeen);
  }

  /**
   * Canaries are stored revoked with a marker reason (a state no API can undo); only such keys cost
   * the extra lookup in the canary table.
   */
  private boolean isCanary(ApiKeyRecord r) {
    return r.status() == KeyStatus.REVOKED
        && CanaryAlarm.REVOKE_REASON.equals(r.revokeReason())
        && store.findCanary(r.keyId()).isPresent();
  }

  /**
   * Tries the older pepper versions; on a hit re-hashes under the current one once it has been
   * current here for the re-hash delay ({@link KeyHasher#settled}), and returns the record as
   * stored before. Hashes and versions come from {@link KeyHasher#older}/{@link KeyHasher#settled},
   * so a pepper reload racing with this call cannot store a hash under the wrong version.
   */
  private Optional<ApiKeyRecord> findUnderOlderPepper(String key) {
    for (KeyHasher.Hashed h : hasher.older(key)) {
      Optional<ApiKeyRecord> old = store.findByHash(h.hash());
      if (old.isPresent()) {
        return Optional.of(
            hasher.settled(key, rehashDelay).map(c -> rehash(old.get(), c)).orElse(old.get()));
      }
    }
    return Optional.empty();
  }

  private ApiKeyRecord rehash(ApiKeyRecord old, KeyHasher.Hashed current) {
    return rehash(store, clock.instant(), old, current, false);
  }

  /**
   * Stores {@code old} re-hashed as {@code current} with its {@code key.rehashed} audit event, in
   * one transaction, unless another node did it first (then returns what it stored). {@code
   * fromSha256}: {@code old} is an imported key stored by its plain SHA-256, whose legacy mark is
   * cleared; otherwise it is hashed under an older pepper version.
   */
  static ApiKeyRecord rehash(
      KeyStore store, Instant now, ApiKeyRecord old, KeyHasher.Hashed current, boolean fromSha256) {
    return store.inTransaction(
        tx -> {
          ApiKeyRecord locked = tx.lockKey(old.keyId()).orElse(old);
          if (fromSha256
              ? locked.hash().equals(current.hash())
              : locked.pepperVersion() >= current.version()) {
            return locked; // another node re-hashed it first
          }
          ApiKeyRecord updated = locked.withHash(current.hash(), current.version(), now);
          tx.updateKey(updated);
          if (fromSha256) {
            tx.clearLegacy(old.keyId());
          }
          String to = Integer.toString(current.version());
          tx.appendAudit(
              new AuditEntry(
                  now,
                  "system",
                  "key.rehashed",
                  old.keyId(),
                  old.ownerId(),
                  null,
                  fromSha256
                      ? Map.of("from", "sha256", "to_pepper_version", to)
                      : Map.of(
                          "from_pepper_version",
                          Integer.toString(old.pepperVersion()),
                          "to_pepper_version",
                          to)));
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

  /**
   * Whether {@code key} is worth a lookup: a checksum-confirmed Keygate key, or a key carrying the
   * prefix of keys imported from another system (which have no Keygate checksum). No I/O.
   */
  public boolean wellFormed(String key) {
    return key != null && (format.identify(key) != null || legacy.mayBeImported(key));
  }

  /**
   * Resolves a reported key (a leak) to its record without state checks: like {@link #find}, and
   * also finds keys imported from another system by their prefix and hash (an imported key not yet
   * used is re-hashed under the current pepper on this lookup, as on its first verification).
   */
  public Optional<ApiKeyRecord> findReported(String key) {
    if (!wellFormed(key)) {
      return Optional.empty();
    }
    Entry e = lookup(key);
    return e == null ? Optional.empty() : Optional.of(e.key());
  }

  /**
   * Drops the cached entry for a stored hash here and announces it on the {@link InvalidationBus}
   * to the other nodes. Call before acknowledging any key change.
   */
  public void invalidate(String hash) {
    drop(hash);
    bus.publish(hash);
  }

  /**
   * Like {@link #invalidate}, for a key that is now revoked: the other nodes mark their cached copy
   * revoked at once instead of dropping it and reading the store on the next request. A revocation
   * is final, so a copy marked revoked can never be wrong. Call before acknowledging the change.
   */
  public void invalidateRevoked(ApiKeyRecord revoked) {
    drop(revoked.hash());
    bus.publishRevoked(revoked.hash(), revoked.revokedAt());
  }

  /**
   * What a bus delivers for {@link #invalidateRevoked}: marks this node's cached entry for {@code
   * hash}, if any, revoked at {@code at} (waiting for a load of the same entry in progress, like
   * {@link #invalidateLocal}); without an entry the next request reads the committed revocation.
   */
  public void revokedLocal(String hash, Instant at) {
    local.revokedLocal(hash, at);
  }

  /** Revocation reason of a cached copy marked revoked by {@link #revokedLocal}. */
  static final String REVOKED_ELSEWHERE = "revoked (announced by another node)";

  /**
   * Re-reads the prefixes of imported keys here and tells the other nodes to do the same, so that a
   * key imported through any node is accepted by every node on its next verify. Call after an
   * import.
   */
  public void importedKeysChanged() {
    legacy.refresh();
    bus.importedKeysChanged();
  }

  /** Drops the cached entry for a stored hash on this node only (what a bus delivers). */
  public void invalidateLocal(String hash) {
    drop(hash);
  }

  private void drop(String hash) {
    local.invalidateLocal(hash);
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

  /** The canary alarm (its fault propagates), then the canary listeners, each isolated. */
  private void tripped(ApiKeyRecord key, VerifyRequest req) {
    canaryAlarm.tripped(key, req);
    listeners.tripped(key, req);
  }

  /**
   * What an {@link InvalidationBus} delivers to: the cache and the imported-prefix table, and
   * nothing of the verifier itself, so that the bus can be made before the verifier is complete.
   * {@code changes} counts the key changes delivered (by {@link #invalidateLocal} and {@link
   * #revokedLocal}), which outdate every entry cached under another hash than its stored one.
   */
  private record LocalCache(
      Cache<KeyHasher.Digest, Entry> cache, LegacyKeys legacy, AtomicLong changes)
      implements InvalidationBus.Receiver {
    /**
     * Drops the entry cached for a stored hash. The cache is keyed by {@link KeyHasher.Digest} (its
     * {@code invalidate} takes any object, so a hex string would silently match nothing); a string
     * that is not a 64-digit hash cannot be a cache key, so there is nothing to drop.
     */
    @Override
    public void invalidateLocal(String hash) {
      KeyHasher.Digest d = KeyHasher.Digest.ofHex(hash);
      if (d != null) {
        changes.incrementAndGet();
        cache.invalidate(d);
      }
    }

    @Override
    public void revokedLocal(String hash, Instant at) {
      KeyHasher.Digest d = KeyHasher.Digest.ofHex(hash);
      if (d == null) {
        return;
      }
      changes.incrementAndGet();
      cache
          .asMap()
          .computeIfPresent(
              d,
              (h, e) ->
                  e.key().status() == KeyStatus.REVOKED
                      ? e
                      : e.withKey(e.key().revoked(at, REVOKED_ELSEWHERE, at)));
    }

    @Override
    public void invalidateAll() {
      cache.invalidateAll();
    }

    @Override
    public void refreshImported() {
      legacy.refresh();
    }
  }
}
