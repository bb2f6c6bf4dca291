package io.keygate.server.monitor;

import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.lifecycle.KeyService;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.monitor.Alert;
import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.GrantUse;
import io.keygate.core.monitor.NetworkSeen;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.IpAllowlist;
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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-key anomaly detection and grant-use tracking, fed by the verifier's {@link
 * VerificationListener} and driven by {@link #tick()} on the worker thread.
 *
 * <p><b>Design.</b> The hot path only touches in-memory per-key state: a {@link LongAdder} for the
 * current minute's valid requests, a map of networks seen since the last tick, a 60-second ring of
 * denial counts and a map of grants used. Everything that reads the store or writes alerts happens
 * in {@link #tick()} (every second on a node). Detectors:
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
    final long[] ringEpoch = new long[RING]; // guarded by this
    final long[] ringCount = new long[RING]; // guarded by this
    long burstQueuedAt = -MINUTE; // guarded by this

    KeyState(ApiKeyRecord key, long minute) {
      this.keyId = key.keyId();
      this.key = key;
      this.minute = minute;
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

    synchronized boolean denial(long nowMs) {
      long epoch = nowMs / 10_000L;
      int slot = (int) (epoch % RING);
      if (ringEpoch[slot] != epoch) {
        ringEpoch[slot] = epoch;
        ringCount[slot] = 0;
      }
      ringCount[slot]++;
      long sum = 0;
      for (int i = 0; i < RING; i++) {
        if (ringEpoch[i] > epoch - RING) {
          sum += ringCount[i];
        }
      }
      if (sum >= settings.denialBurst() && nowMs - burstQueuedAt >= MINUTE) {
        burstQueuedAt = nowMs;
        return true;
      }
      return false;
    }
  }

  private record Pending(ApiKeyRecord key, String type, Instant at, Map<String, Object> details) {}

  private record NetKey(String keyId, String network) {}

  private record GrantKey(String keyId, String kind, String value) {}

  private record Known(Set<String> networks, Instant learningStart) {}

  private record ParsedAllowlist(List<String> entries, List<IpAllowlist> each) {}

  private final Settings settings;
  private final AnomalyStore store;
  private final KeyStore keys;
  private final KeyService keyService;
  private final Clock clock;
  private final Supplier<SecureRandom> random;
  private final ConcurrentHashMap<String, KeyState> states = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Pending> urgent = new ConcurrentLinkedQueue<>();
  private final ConcurrentHashMap<NetKey, Long[]> seenNetworks = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Pending> graceUses = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<GrantKey, Long> grants = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ParsedAllowlist> allowlists = new ConcurrentHashMap<>();
  // worker-thread state (guarded by tick's lock)
  private final Map<String, Known> known = new HashMap<>();
  private final Map<String, Instant> graceStarts = new HashMap<>();
  private final Map<String, Long> raisedWindows = new HashMap<>();
  private final List<NetworkSeen> networksToWrite = new ArrayList<>();
  private Instant bruteForceAfter;
  private long lastBruteForcePoll;

  /** A detector writing to {@code store}; reads old keys' rotation from {@code keys}. */
  public AnomalyDetector(
      Settings settings,
      AnomalyStore store,
      KeyStore keys,
      KeyService keyService,
      Clock clock,
      Supplier<SecureRandom> random) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.store = Objects.requireNonNull(store, "store");
    this.keys = keys;
    this.keyService = keyService;
    this.clock = clock;
    this.random = random;
    this.bruteForceAfter = clock.instant().minus(Duration.ofMinutes(5));
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
    KeyState st = states.computeIfAbsent(key.keyId(), id -> new KeyState(key, minute));
    Outcome o = result.outcome();
    if (o == Outcome.VALID) {
      st.key = key;
      if (minute > st.minute) {
        st.roll(minute);
      }
      st.current.increment();
      String net = network(request.ip());
      if (net != null && seenNetworks.size() < MAX_NETWORKS_IN_MEMORY) {
        seenNetworks.merge(
            new NetKey(key.keyId(), net),
            new Long[] {now, now},
            (a, b) -> new Long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
      }
      if (key.rotatedTo() != null && key.revokesAt() != null) {
        graceUses.put(key.keyId(), new Pending(key, Alert.LATE_GRACE_USE, at, Map.of()));
      }
      recordGrants(key, request, now);
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

  private void recordGrants(ApiKeyRecord key, VerifyRequest req, long now) {
    List<String> granted = key.settings().scopes();
    for (String r : req.requiredScopes()) {
      if (granted.contains(r)) {
        grants.merge(new GrantKey(key.keyId(), GrantUse.SCOPE, r), now, Math::max);
        break;
      }
    }
    for (String r : req.requiredScopesAll()) {
      grants.merge(new GrantKey(key.keyId(), GrantUse.SCOPE, r), now, Math::max);
    }
    List<String> entries = key.settings().ipAllowlist();
    if (entries == null || entries.isEmpty() || req.ip() == null) {
      return;
    }
    ParsedAllowlist p = allowlists.get(key.keyId());
    if (p == null || !p.entries().equals(entries)) {
      List<IpAllowlist> each = new ArrayList<>(entries.size());
      for (String e : entries) {
        each.add(IpAllowlist.parse(List.of(e)));
      }
      p = new ParsedAllowlist(List.copyOf(entries), each);
      allowlists.put(key.keyId(), p);
    }
    for (int i = 0; i < p.each().size(); i++) {
      if (p.each().get(i).allows(req.ip())) {
        grants.merge(new GrantKey(key.keyId(), GrantUse.IP, entries.get(i)), now, Math::max);
        return;
      }
    }
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
    raised += judgeGrace();
    raised += bruteForce(nowMs);
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
    List<Map.Entry<NetKey, Long[]>> batch = new ArrayList<>();
    for (var it = seenNetworks.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      it.remove();
      batch.add(e);
    }
    batch.sort(Comparator.comparing(e -> e.getValue()[0]));
    for (Map.Entry<NetKey, Long[]> e : batch) {
      NetKey nk = e.getKey();
      Instant first = Instant.ofEpochMilli(e.getValue()[0]);
      Instant last = Instant.ofEpochMilli(e.getValue()[1]);
      Known k = known.get(nk.keyId());
      if (k == null) {
        Map<String, Instant> stored = store.networks(nk.keyId());
        Instant start = stored.values().stream().min(Instant::compareTo).orElse(first);
        k = new Known(ConcurrentHashMap.newKeySet(), start);
        k.networks().addAll(stored.keySet());
        known.put(nk.keyId(), k);
      }
      networksToWrite.add(new NetworkSeen(nk.keyId(), nk.network(), first, last));
      if (k.networks().add(nk.network())
          && !first.isBefore(k.learningStart().plus(settings.learning()))) {
        KeyState st = states.get(nk.keyId());
        if (st != null) {
          Map<String, Object> d = new LinkedHashMap<>();
          d.put("network", nk.network());
          d.put("learning_started_at", k.learningStart().toString());
          d.put("known_networks", k.networks().size() - 1);
          raised += raise(new Pending(st.key, Alert.NEW_NETWORK, first, d)) ? 1 : 0;
        }
      }
    }
    return raised;
  }

  private int judgeGrace() {
    int raised = 0;
    for (String id : List.copyOf(graceUses.keySet())) {
      Pending p = graceUses.remove(id);
      if (p == null) {
        continue;
      }
      ApiKeyRecord old = p.key();
      Instant start = graceStarts.get(id);
      if (start == null) {
        start =
            Optional.ofNullable(keys)
                .flatMap(s -> s.findById(old.rotatedTo()))
                .map(ApiKeyRecord::createdAt)
                .orElse(old.updatedAt());
        graceStarts.put(id, start);
      }
      Duration grace = Duration.between(start, old.revokesAt());
      Instant late = old.revokesAt().minus(grace.dividedBy(10));
      if (!grace.isNegative() && !p.at().isBefore(late) && p.at().isBefore(old.revokesAt())) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("rotated_to", old.rotatedTo());
        d.put("revokes_at", old.revokesAt().toString());
        d.put("grace_left_seconds", Duration.between(p.at(), old.revokesAt()).toSeconds());
        raised += raise(new Pending(old, Alert.LATE_GRACE_USE, p.at(), d)) ? 1 : 0;
      }
    }
    return raised;
  }

  private int bruteForce(long nowMs) {
    if (lastBruteForcePoll != 0 && Math.abs(nowMs - lastBruteForcePoll) < 5_000L) {
      return 0;
    }
    lastBruteForcePoll = nowMs;
    int raised = 0;
    for (OutboxEvent e : store.bruteForceBlocks(bruteForceAfter, 500)) {
      bruteForceAfter = e.createdAt();
      Map<String, Object> d = new LinkedHashMap<>(e.data());
      d.remove("kind");
      d.put("event_id", e.eventId());
      Alert a =
          new Alert(
              "alr_" + e.eventId().replace("evt_", ""),
              null,
              null,
              Alert.BRUTE_FORCE,
              e.createdAt(),
              Alert.OPEN,
              d,
              e.createdAt(),
              null,
              null);
      raised += store.raise(a, null) ? 1 : 0;
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
      event = keyService.event(EventTypes.ANOMALY_DETECTED, p.key(), a.createdAt(), data);
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
    for (var it = grants.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      it.remove();
      GrantKey g = e.getKey();
      uses.add(new GrantUse(g.keyId(), g.kind(), g.value(), Instant.ofEpochMilli(e.getValue())));
    }
    try {
      store.addGrantUse(uses);
    } catch (RuntimeException ex) {
      for (GrantUse u : uses) {
        grants.merge(
            new GrantKey(u.keyId(), u.kind(), u.value()), u.lastUsedAt().toEpochMilli(), Math::max);
      }
      throw ex;
    }
  }

  /** Grant uses of {@code keyId} collected in memory and not yet flushed. */
  public List<GrantUse> pendingGrantUse(String keyId) {
    List<GrantUse> out = new ArrayList<>();
    grants.forEach(
        (g, at) -> {
          if (g.keyId().equals(keyId)) {
            out.add(new GrantUse(g.keyId(), g.kind(), g.value(), Instant.ofEpochMilli(at)));
          }
        });
    return out;
  }

  /**
   * The IPv4 /24 or IPv6 /48 of {@code ip} in CIDR notation, or {@code null} when it is not an IP
   * literal.
   */
  public static String network(String ip) {
    byte[] b = IpAllowlist.literal(ip);
    if (b == null) {
      return null;
    }
    if (b.length == 4) {
      return (b[0] & 0xFF) + "." + (b[1] & 0xFF) + "." + (b[2] & 0xFF) + ".0/24";
    }
    return String.format(
            "%x:%x:%x",
            ((b[0] & 0xFF) << 8) | (b[1] & 0xFF),
            ((b[2] & 0xFF) << 8) | (b[3] & 0xFF),
            ((b[4] & 0xFF) << 8) | (b[5] & 0xFF))
        + "::/48";
  }
}
