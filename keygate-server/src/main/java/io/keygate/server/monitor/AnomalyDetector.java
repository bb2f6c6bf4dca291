package io.keygate.server.monitor;

import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.monitor.Alert;
import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.GrantUse;
import io.keygate.core.monitor.NetworkSeen;
import io.keygate.core.request.IpAddresses;
import io.keygate.core.request.IpAllowlist;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerificationListener;
import io.keygate.core.verify.VerifyRequest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-key anomaly detection and grant-use tracking, fed by the verifier's {@link
 * VerificationListener} and driven by {@link #tick()} on the worker thread.
 *
 * <p><b>Design.</b> The hot path only touches in-memory per-key state: a {@link LongAdder} for the
 * current minute's valid requests, the networks seen since the last tick (numeric /24 or /48 ids;
 * the last one is remembered, so a key used from one network costs one field read and one volatile
 * write at most once a second, no allocation), a 60-second ring of denial counts and the grants
 * used. Everything that reads the store, formats networks or writes alerts happens in {@link
 * #tick()} (every second on a node); a key idle for {@value #IDLE_HOURS} hours has its state
 * dropped there. Detectors:
 *
 * <ul>
 *   <li>{@code traffic_spike}: the current (or just completed) minute's valid requests exceed
 *       {@code max(floor, factor × EWMA)} of the key's earlier minutes (EWMA α = {@value #ALPHA},
 *       idle minutes count as zero), once {@value #WARMUP_MINUTES} minutes were observed on this
 *       node;
 *   <li>{@code new_network}: a request from an IPv4 /24 or IPv6 /48 not in {@code key_networks}
 *       after the learning period, which starts at the key's first recorded use;
 *   <li>{@code denial_burst}: {@code insufficient_scope}, {@code ip_not_allowed} or {@code
 *       rate_limited} answers for one key reach the threshold within any 60 seconds; raised at the
 *       next tick, not at a minute boundary;
 *   <li>{@code late_grace_use}: a rotated-out key used in the last tenth of its grace period;
 *   <li>{@code canary} and {@code brute_force}: alerts mirroring the canary alarm and the
 *       brute-force block that other code already records.
 * </ul>
 *
 * <p>Alerts are deduplicated per key, type and window by the store (and in memory, to spare it).
 * State lost on restart: the EWMA baseline (it warms up again), denials and networks not yet
 * ticked. Thread-safe.
 */
public final class AnomalyDetector implements VerificationListener {
  private static final Logger LOG = LoggerFactory.getLogger(AnomalyDetector.class);

  /** EWMA smoothing factor per minute. */
  static final double ALPHA = 0.1;

  /** Minutes a key must be observed before spikes are judged. */
  static final int WARMUP_MINUTES = 10;

  private static final long MINUTE = 60_000L;
  private static final int RING = 6; // 10-second buckets: a sliding 60-second denial count
  private static final int MAX_NETWORKS_IN_MEMORY = 100_000;
  private static final long IPV4_TAG = 1L << 48;
  static final int IDLE_HOURS = 2;

  /**
   * Last-seen and last-used times (a key's, a network's, a grant's) move in steps of this many
   * milliseconds: a hot key's request then reads its state without writing it, instead of storing a
   * new time into shared per-key state on nearly every request.
   */
  static final long SEEN_RESOLUTION_MS = 1_000L;

  /**
   * Thresholds.
   *
   * @param spikeFactor multiple of the EWMA that is a spike
   * @param spikeFloor a spike also needs more requests than this in the minute
   * @param learning period after a key's first use in which new networks are learned silently
   * @param denialBurst denials within 60 s that raise an alert
   * @param window alerts of one key and type are deduplicated per window
   */
  public record Settings(
      double spikeFactor, long spikeFloor, Duration learning, long denialBurst, Duration window) {}

  private final class KeyState {
    final String keyId;
    volatile ApiKeyRecord key;
    volatile long minute;
    final LongAdder current = new LongAdder();
    double ewma; // guarded by this
    int observed; // guarded by this

    /** Denials per 10-second bucket, each slot {@code epoch << 32 | count}: lock-free. */
    final AtomicLongArray ring = new AtomicLongArray(RING);

    final AtomicLong burstQueuedAt = new AtomicLong(-MINUTE);
    volatile long lastSeenAt;
    final ConcurrentHashMap<Long, Seen> networks = new ConcurrentHashMap<>(4);
    volatile Seen lastNetwork;
    final ConcurrentHashMap<String, Use> scopeUses = new ConcurrentHashMap<>(4);
    volatile NamedUse lastScope; // the scope used last: most requests use the same one again
    final ConcurrentHashMap<String, Use> ipUses = new ConcurrentHashMap<>(4);
    volatile ParsedAllowlist allowlist;

    KeyState(ApiKeyRecord key, long minute) {
      this.keyId = key.keyId();
      this.key = key;
      this.minute = minute;
    }

    /** Notes a valid request from network {@code id} (see {@link #networkId}) at {@code now}. */
    void saw(long id, long now) {
      Seen s = lastNetwork;
      if (s == null || s.id != id || s.drained) {
        s = networks.get(id);
        if (s == null) {
          if (networksInMemory.get() >= MAX_NETWORKS_IN_MEMORY) {
            return;
          }
          Seen fresh = new Seen(id, now);
          s = networks.putIfAbsent(id, fresh);
          if (s == null) {
            s = fresh;
            networksInMemory.incrementAndGet();
          }
        }
        lastNetwork = s;
      }
      if (now - s.last >= SEEN_RESOLUTION_MS) {
        s.last = now; // racing writers may leave an earlier time: last-seen is advisory
      }
    }

    boolean idleSince(long cutoff) {
      return lastSeenAt < cutoff
          && current.sum() == 0
          && networks.isEmpty()
          && scopeUses.values().stream().allMatch(Use::flushed)
          && ipUses.values().stream().allMatch(Use::flushed);
    }

    /** Closes the minutes before {@code newMinute}; returns the completed count judged. */
    synchronized void roll(long newMinute) {
      if (newMinute <= minute) {
        return;
      }
      long c = current.sumThenReset();
      double threshold = threshold();
      if (observed >= WARMUP_MINUTES && c > threshold) {
        urgent.add(spike(this, c, threshold, Instant.ofEpochMilli(minute)));
      }
      long gap = (newMinute - minute) / MINUTE;
      ewma = ALPHA * c + (1 - ALPHA) * ewma;
      if (gap > 1) {
        ewma *= Math.pow(1 - ALPHA, Math.min(gap - 1, 10_000));
      }
      observed = (int) Math.min(Integer.MAX_VALUE, observed + gap);
      minute = newMinute;
    }

    synchronized double threshold() {
      return Math.max(settings.spikeFloor(), settings.spikeFactor() * ewma);
    }

    /**
     * Counts a denial; true for the one call that finds the burst threshold reached (at most once a
     * minute per key). Lock-free, so a hot key refused by many threads at once does not serialise
     * them.
     */
    boolean denial(long nowMs) {
      long epoch = nowMs / 10_000L;
      int slot = (int) (epoch % RING);
      long v;
      long next;
      do {
        v = ring.get(slot);
        next = (v >>> 32) == epoch ? v + 1 : (epoch << 32) | 1;
      } while (!ring.compareAndSet(slot, v, next));
      long sum = 0;
      for (int i = 0; i < RING; i++) {
        long e = ring.get(i);
        if ((e >>> 32) > epoch - RING) {
          sum += e & 0xFFFF_FFFFL;
        }
      }
      long queued = burstQueuedAt.get();
      return sum >= settings.denialBurst()
          && nowMs - queued >= MINUTE
          && burstQueuedAt.compareAndSet(queued, nowMs);
    }
  }

  /** An alert to raise: for {@code key}, of {@code type}, at {@code at}, with {@code details}. */
  record Pending(ApiKeyRecord key, String type, Instant at, Map<String, Object> details) {}

  /** A network seen since the last tick; drained (and replaced by the next sighting) at a tick. */
  private static final class Seen {
    final long id;
    final long first;
    volatile long last;
    volatile boolean drained;

    Seen(long id, long at) {
      this.id = id;
      this.first = at;
      this.last = at;
    }
  }

  /** When a grant (scope or allowlist entry) was last used, and what the store already has. */
  private static final class Use {
    final AtomicLong last = new AtomicLong();
    volatile long flushed; // written under the detector's lock

    void at(long now) {
      long prev = last.get();
      if (now - prev >= SEEN_RESOLUTION_MS) {
        last.compareAndSet(prev, now); // losing the race to a later time is fine
      }
    }

    boolean flushed() {
      return last.get() <= flushed;
    }
  }

  /** A grant's name with its {@link Use} (uses are never removed, so holding one stays valid). */
  private record NamedUse(String name, Use use) {}

  private record Drained(KeyState state, long network, long first, long last) {}

  private record Known(Set<String> networks, Instant learningStart) {}

  private record ParsedAllowlist(List<String> entries, List<IpAllowlist> each) {}

  private final Settings settings;
  private final AnomalyStore store;
  private final Clock clock;
  private final Supplier<SecureRandom> random;
  private final ConcurrentHashMap<String, KeyState> states = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Pending> urgent = new ConcurrentLinkedQueue<>();
  private final AtomicInteger networksInMemory = new AtomicInteger();
  // worker-thread state (guarded by tick's lock)
  private final Map<String, Known> known = new HashMap<>();
  private final Map<String, Long> raisedWindows = new HashMap<>();
  private final List<NetworkSeen> networksToWrite = new ArrayList<>();
  private final BruteForceAlerts bruteForce;
  private final LateGraceUse lateGrace;

  /** A detector writing to {@code store}; reads old keys' rotation from {@code keys}. */
  public AnomalyDetector(
      Settings settings,
      AnomalyStore store,
      KeyStore keys,
      Clock clock,
      Supplier<SecureRandom> random) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = clock;
    this.random = random;
    this.bruteForce = new BruteForceAlerts(store, clock);
    this.lateGrace = new LateGraceUse(keys);
  }

  @Override
  public void onVerification(
      VerifyRequest request, Verification result, Instant at, long elapsedNanos) {
    ApiKeyRecord key = result.key();
    if (key == null || KeyTypes.ADMIN.equals(key.type())) {
      return;
    }
    long now = at.toEpochMilli();
    long minute = now / MINUTE * MINUTE;
    KeyState st = states.get(key.keyId());
    if (st == null) {
      st = states.computeIfAbsent(key.keyId(), id -> new KeyState(key, minute));
    }
    if (now - st.lastSeenAt >= SEEN_RESOLUTION_MS) {
      st.lastSeenAt = now;
    }
    Outcome o = result.outcome();
    if (o == Outcome.VALID) {
      if (st.key != key) {
        st.key = key;
      }
      if (minute > st.minute) {
        st.roll(minute);
      }
      st.current.increment();
      long net = networkId(request.ip());
      if (net >= 0) {
        st.saw(net, now);
      }
      if (key.rotatedTo() != null && key.revokesAt() != null) {
        lateGrace.used(key, at);
      }
      recordGrants(st, key, request, now);
    } else if (o == Outcome.INSUFFICIENT_SCOPE
        || o == Outcome.IP_NOT_ALLOWED
        || o == Outcome.RATE_LIMITED) {
      if (st.denial(now)) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("threshold", settings.denialBurst());
        d.put("within_seconds", 60);
        d.put("last_outcome", o.code());
        urgent.add(new Pending(key, Alert.DENIAL_BURST, at, d));
      }
    }
  }

  private static void recordGrants(KeyState st, ApiKeyRecord key, VerifyRequest req, long now) {
    List<String> granted = key.settings().scopes();
    for (String r : req.requiredScopes()) {
      if (granted.contains(r)) {
        NamedUse last = st.lastScope;
        if (last != null && last.name().equals(r)) {
          last.use().at(now);
        } else {
          st.lastScope = new NamedUse(r, use(st.scopeUses, r, now));
        }
        break;
      }
    }
    for (String r : req.requiredScopesAll()) {
      use(st.scopeUses, r, now);
    }
    List<String> entries = key.settings().ipAllowlist();
    if (entries == null || entries.isEmpty() || req.ip() == null) {
      return;
    }
    ParsedAllowlist p = st.allowlist;
    if (p == null || !p.entries().equals(entries)) {
      List<IpAllowlist> each = new ArrayList<>(entries.size());
      for (String e : entries) {
        each.add(IpAllowlist.parse(List.of(e)));
      }
      p = new ParsedAllowlist(List.copyOf(entries), each);
      st.allowlist = p;
    }
    for (int i = 0; i < p.each().size(); i++) {
      if (p.each().get(i).allows(req.ip())) {
        use(st.ipUses, entries.get(i), now);
        return;
      }
    }
  }

  private static Use use(ConcurrentHashMap<String, Use> uses, String grant, long now) {
    Use u = uses.get(grant);
    if (u == null) {
      u = uses.computeIfAbsent(grant, g -> new Use());
    }
    u.at(now);
    return u;
  }

  /** A canary was presented (called from the canary alarm; queues an alert). */
  public void canary(ApiKeyRecord key, VerifyRequest req) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("label", key.settings().name());
    d.put("ip", req.ip());
    urgent.add(new Pending(key, Alert.CANARY, clock.instant(), d));
  }

  /**
   * Judges what the hot path collected and raises alerts: queued denial bursts and canaries, spikes
   * in the current or completed minutes, new networks, late grace-period use, brute-force blocks.
   * Run on one worker thread about every second; store faults propagate and what was not judged is
   * kept for the next run.
   *
   * @return alerts newly stored
   */
  public synchronized int tick() {
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    long minute = nowMs / MINUTE * MINUTE;
    int raised = 0;
    for (KeyState st : states.values()) {
      if (minute > st.minute) {
        st.roll(minute);
      }
      long c = st.current.sum();
      double threshold = st.threshold();
      boolean warm;
      synchronized (st) {
        warm = st.observed >= WARMUP_MINUTES;
      }
      if (warm && c > threshold) {
        urgent.add(spike(st, c, threshold, Instant.ofEpochMilli(st.minute)));
      }
    }
    for (Pending p; (p = urgent.poll()) != null; ) {
      raised += raise(p) ? 1 : 0;
    }
    raised += judgeNetworks(now);
    raised += lateGrace.judge(this::raise);
    raised += bruteForce.poll(nowMs);
    long idleCutoff = nowMs - IDLE_HOURS * 3_600_000L;
    states
        .values()
        .removeIf(
            st -> {
              if (!st.idleSince(idleCutoff)) {
                return false;
              }
              known.remove(st.keyId); // reloaded from the store if the key comes back
              return true;
            });
    return raised;
  }

  private Pending spike(KeyState st, long count, double threshold, Instant minute) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("minute", minute.toString());
    d.put("requests", count);
    d.put("threshold", Math.round(threshold));
    synchronized (st) {
      d.put("baseline_per_minute", Math.round(st.ewma * 100) / 100.0);
    }
    return new Pending(st.key, Alert.TRAFFIC_SPIKE, clock.instant(), d);
  }

  private int judgeNetworks(Instant now) {
    int raised = 0;
    List<Drained> batch = new ArrayList<>();
    for (KeyState st : states.values()) {
      for (Seen s : st.networks.values()) {
        s.drained = true;
        if (st.networks.remove(s.id, s)) {
          networksInMemory.decrementAndGet();
        }
        batch.add(new Drained(st, s.id, s.first, s.last));
      }
    }
    batch.sort(Comparator.comparingLong(Drained::first));
    for (Drained e : batch) {
      String keyId = e.state().keyId;
      String network = networkText(e.network());
      Instant first = Instant.ofEpochMilli(e.first());
      Instant last = Instant.ofEpochMilli(e.last());
      Known k = known.get(keyId);
      if (k == null) {
        Map<String, Instant> stored = store.networks(keyId);
        Instant start = stored.values().stream().min(Instant::compareTo).orElse(first);
        k = new Known(ConcurrentHashMap.newKeySet(), start);
        k.networks().addAll(stored.keySet());
        known.put(keyId, k);
      }
      networksToWrite.add(new NetworkSeen(keyId, network, first, last));
      if (k.networks().add(network)
          && !first.isBefore(k.learningStart().plus(settings.learning()))) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("network", network);
        d.put("learning_started_at", k.learningStart().toString());
        d.put("known_networks", k.networks().size() - 1);
        raised += raise(new Pending(e.state().key, Alert.NEW_NETWORK, first, d)) ? 1 : 0;
      }
    }
    return raised;
  }

  private boolean raise(Pending p) {
    long window = settings.window().toMillis();
    long windowStart = p.at().toEpochMilli() / window * window;
    String dedupe = p.key().keyId() + '/' + p.type();
    Long prev = raisedWindows.get(dedupe);
    if (prev != null && prev == windowStart) {
      return false;
    }
    String id = "alr_" + KeyFormat.randomBase62(random.get(), 24);
    Map<String, Object> d = new LinkedHashMap<>(p.details());
    Alert a =
        new Alert(
            id,
            p.key().keyId(),
            p.key().ownerId(),
            p.type(),
            Instant.ofEpochMilli(windowStart),
            Alert.OPEN,
            d,
            clock.instant(),
            null,
            null);
    OutboxEvent event = null;
    if (!Alert.CANARY.equals(p.type())) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("kind", p.type());
      data.put("alert_id", id);
      data.putAll(d);
      event =
          OutboxEvent.forKey(
              EventTypes.ANOMALY_DETECTED, p.key(), a.createdAt(), data, random.get());
    }
    boolean fresh = store.raise(a, event);
    raisedWindows.put(dedupe, windowStart);
    if (raisedWindows.size() > 100_000) {
      raisedWindows.clear();
    }
    if (fresh) {
      LOG.info("alert {} raised for key {}: {}", p.type(), p.key().keyId(), d);
    }
    return fresh;
  }

  /**
   * Writes seen networks and grant uses collected since the last flush in one batch each; on a
   * store fault they are kept for the next flush and the fault propagates.
   */
  public synchronized void flush() {
    if (!networksToWrite.isEmpty()) {
      List<NetworkSeen> batch = List.copyOf(networksToWrite);
      store.addNetworks(batch);
      networksToWrite.clear();
    }
    List<GrantUse> uses = new ArrayList<>();
    List<Runnable> marks = new ArrayList<>();
    for (KeyState st : states.values()) {
      unflushed(st, GrantUse.SCOPE, st.scopeUses, uses, marks);
      unflushed(st, GrantUse.IP, st.ipUses, uses, marks);
    }
    if (!uses.isEmpty()) {
      store.addGrantUse(uses); // on a fault nothing is marked: the next flush writes them again
    }
    marks.forEach(Runnable::run);
  }

  private static void unflushed(
      KeyState st,
      String kind,
      ConcurrentHashMap<String, Use> grants,
      List<GrantUse> out,
      List<Runnable> marks) {
    grants.forEach(
        (value, u) -> {
          long last = u.last.get();
          if (last > u.flushed) {
            out.add(new GrantUse(st.keyId, kind, value, Instant.ofEpochMilli(last)));
            if (marks != null) {
              marks.add(() -> u.flushed = last);
            }
          }
        });
  }

  /** Grant uses of {@code keyId} collected in memory and not yet flushed. */
  public List<GrantUse> pendingGrantUse(String keyId) {
    List<GrantUse> out = new ArrayList<>();
    KeyState st = states.get(keyId);
    if (st != null) {
      unflushed(st, GrantUse.SCOPE, st.scopeUses, out, null);
      unflushed(st, GrantUse.IP, st.ipUses, out, null);
    }
    return out;
  }

  /**
   * The IPv4 /24 or IPv6 /48 of {@code ip} in CIDR notation, or {@code null} when it is not an IP
   * literal.
   */
  public static String network(String ip) {
    long id = networkId(ip);
    return id < 0 ? null : networkText(id);
  }

  /**
   * The IPv4 /24 or IPv6 /48 of {@code ip} as a number (IPv4 tagged above the 48 IPv6 bits), or
   * {@code -1} when it is not an IP literal. Allocation-free for IPv4.
   */
  static long networkId(String ip) {
    long v4 = IpAddresses.ipv4(ip);
    if (v4 >= 0) {
      return IPV4_TAG | (v4 >>> 8);
    }
    if (ip == null || ip.indexOf(':') < 0) {
      return -1;
    }
    byte[] b = IpAddresses.parse(ip);
    if (b == null) {
      return -1;
    }
    if (b.length == 4) {
      return IPV4_TAG | ((b[0] & 0xFF) << 16) | ((b[1] & 0xFF) << 8) | (b[2] & 0xFF);
    }
    long v = 0;
    for (int i = 0; i < 6; i++) {
      v = (v << 8) | (b[i] & 0xFF);
    }
    return v;
  }

  private static String networkText(long id) {
    if ((id & IPV4_TAG) != 0) {
      return ((id >>> 16) & 0xFF) + "." + ((id >>> 8) & 0xFF) + "." + (id & 0xFF) + ".0/24";
    }
    return Long.toHexString((id >>> 32) & 0xFFFF)
        + ":"
        + Long.toHexString((id >>> 16) & 0xFFFF)
        + ":"
        + Long.toHexString(id & 0xFFFF)
        + "::/48";
  }
}
