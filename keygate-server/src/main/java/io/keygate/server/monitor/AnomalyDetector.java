package io.keygate.server.monitor;

import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.monitor.Alert;
import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.GrantUse;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-key anomaly detection and grant-use tracking, fed by the verifier's {@link
 * VerificationListener} and driven by {@link #tick()} on the worker thread.
 *
 * <p><b>Design.</b> The hot path only touches in-memory per-key state ({@link KeyState}: each
 * detector's per-key part and the grants used), lock-free and without allocation for a key's usual
 * traffic. Everything that reads the store, formats networks or writes alerts happens in {@link
 * #tick()} (every second on a node), where each {@link Detector} judges what it collected; a key
 * idle for {@value #IDLE_HOURS} hours has its state dropped there. The detectors, assembled in the
 * constructor and each documented in its class:
 *
 * <ul>
 *   <li>{@code traffic_spike}: {@link TrafficSpikes};
 *   <li>{@code denial_burst}: {@link DenialBursts};
 *   <li>{@code canary}: {@link Canaries}, mirroring the canary alarm;
 *   <li>{@code new_network}: {@link NewNetworks};
 *   <li>{@code late_grace_use}: {@link LateGraceUse};
 *   <li>{@code brute_force}: {@link BruteForceAlerts}, mirroring the verifier's blocks.
 * </ul>
 *
 * <p>Alerts are deduplicated per key, type and window by the store (and in memory, to spare it).
 * State lost on restart: the EWMA baseline (it warms up again), denials and networks not yet
 * ticked. Thread-safe.
 */
public final class AnomalyDetector implements VerificationListener {
  private static final Logger LOG = LoggerFactory.getLogger(AnomalyDetector.class);

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

  /** An alert to raise: for {@code key}, of {@code type}, at {@code at}, with {@code details}. */
  record Pending(ApiKeyRecord key, String type, Instant at, Map<String, Object> details) {}

  private final Settings settings;
  private final AnomalyStore store;
  private final Clock clock;
  private final Supplier<SecureRandom> random;
  private final ConcurrentHashMap<String, KeyState> states = new ConcurrentHashMap<>();
  private final TrafficSpikes spikes;
  private final DenialBursts denials;
  private final Canaries canaries;
  private final NewNetworks networks;
  private final LateGraceUse lateGrace;

  /** Every detector, in the order the tick judges them. */
  private final List<Detector> detectors;

  // worker-thread state (guarded by tick's lock)
  private final Map<String, Long> raisedWindows = new HashMap<>();

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
    this.spikes =
        new TrafficSpikes(settings.spikeFactor(), settings.spikeFloor(), clock, states.values());
    this.denials = new DenialBursts(settings.denialBurst());
    this.canaries = new Canaries(clock);
    this.networks = new NewNetworks(store, settings.learning(), states.values());
    this.lateGrace = new LateGraceUse(keys);
    this.detectors =
        List.of(spikes, denials, canaries, networks, lateGrace, new BruteForceAlerts(store, clock));
  }

  @Override
  public void onVerification(
      VerifyRequest request, Verification result, Instant at, long elapsedNanos) {
    ApiKeyRecord key = result.key();
    if (key == null || KeyTypes.ADMIN.equals(key.type())) {
      return;
    }
    long now = at.toEpochMilli();
    long minute = now / TrafficSpikes.MINUTE * TrafficSpikes.MINUTE;
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
      spikes.counted(st.baseline, key, minute);
      long net = NewNetworks.networkId(request.ip());
      if (net >= 0) {
        networks.saw(st.networks, net, now);
      }
      if (key.rotatedTo() != null && key.revokesAt() != null) {
        lateGrace.used(key, at);
      }
      GrantUses.record(st.grants, key, request, now);
    } else if (DenialBursts.counts(o)) {
      denials.denied(st.denials, key, o, at);
    }
  }

  /** A canary was presented (called from the canary alarm; queues an alert). */
  public void canary(ApiKeyRecord key, VerifyRequest req) {
    canaries.presented(key, req);
  }

  /**
   * Judges what the hot path collected and raises alerts: each detector in turn (spikes in the
   * current or completed minutes, queued denial bursts and canaries, new networks, late
   * grace-period use, brute-force blocks). Run on one worker thread about every second; store
   * faults propagate and what was not judged is kept for the next run.
   *
   * @return alerts newly stored
   */
  public synchronized int tick() {
    Instant now = clock.instant();
    int raised = 0;
    for (Detector d : detectors) {
      raised += d.judge(now, this::raise);
    }
    long idleCutoff = now.toEpochMilli() - IDLE_HOURS * 3_600_000L;
    states
        .values()
        .removeIf(
            st -> {
              if (!st.idleSince(idleCutoff)) {
                return false;
              }
              detectors.forEach(d -> d.forget(st.keyId));
              return true;
            });
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
    networks.write();
    List<GrantUse> uses = new ArrayList<>();
    List<Runnable> marks = new ArrayList<>();
    for (KeyState st : states.values()) {
      GrantUses.unflushed(st.keyId, st.grants, uses, marks);
    }
    if (!uses.isEmpty()) {
      store.addGrantUse(uses); // on a fault nothing is marked: the next flush writes them again
    }
    marks.forEach(Runnable::run);
  }

  /** Grant uses of {@code keyId} collected in memory and not yet flushed. */
  public List<GrantUse> pendingGrantUse(String keyId) {
    List<GrantUse> out = new ArrayList<>();
    KeyState st = states.get(keyId);
    if (st != null) {
      GrantUses.unflushed(keyId, st.grants, out, null);
    }
    return out;
  }

  /**
   * The IPv4 /24 or IPv6 /48 of {@code ip} in CIDR notation, or {@code null} when it is not an IP
   * literal.
   */
  public static String network(String ip) {
    long id = NewNetworks.networkId(ip);
    return id < 0 ? null : NewNetworks.networkText(id);
  }
}
