package io.keygate.server.monitor;

import io.keygate.core.monitor.Alert;
import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.NetworkSeen;
import io.keygate.core.request.IpAddresses;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The {@code new_network} detector of {@link AnomalyDetector}: a request from an IPv4 /24 or IPv6
 * /48 not in {@code key_networks} after the learning period, which starts at the key's first
 * recorded use. The hot path notes networks (numeric ids) in a per-key {@link Sightings}: the last
 * one is remembered, so a key used from one network costs one field read and one volatile write at
 * most once a second, no allocation. The tick drains them, formats and judges them against the
 * store and queues them for {@link #write}. At most {@value #MAX_NETWORKS_IN_MEMORY} sightings are
 * held between ticks; later ones are dropped until the next tick.
 */
final class NewNetworks implements Detector {
  static final int MAX_NETWORKS_IN_MEMORY = 100_000;
  private static final long IPV4_TAG = 1L << 48;

  private final AnomalyStore store;
  private final Duration learning;
  private final Collection<KeyState> states;
  private final AtomicInteger inMemory = new AtomicInteger();
  // tick-thread state (guarded by the detector's lock)
  private final Map<String, Known> known = new HashMap<>();
  private final List<NetworkSeen> toWrite = new ArrayList<>();

  /** Judges the keys in {@code states} (a live view) against {@code store}'s known networks. */
  NewNetworks(AnomalyStore store, Duration learning, Collection<KeyState> states) {
    this.store = store;
    this.learning = learning;
    this.states = states;
  }

  /** One key's networks seen since the last tick. */
  static final class Sightings {
    private final ConcurrentHashMap<Long, Seen> networks = new ConcurrentHashMap<>(4);
    private volatile Seen last;

    boolean isEmpty() {
      return networks.isEmpty();
    }
  }

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

  private record Drained(KeyState state, long network, long first, long last) {}

  private record Known(Set<String> networks, Instant learningStart) {}

  /** Notes a valid request from network {@code id} (see {@link #networkId}) at {@code now}. */
  void saw(Sightings sightings, long id, long now) {
    Seen s = sightings.last;
    if (s == null || s.id != id || s.drained) {
      s = sightings.networks.get(id);
      if (s == null) {
        if (inMemory.get() >= MAX_NETWORKS_IN_MEMORY) {
          return;
        }
        Seen fresh = new Seen(id, now);
        s = sightings.networks.putIfAbsent(id, fresh);
        if (s == null) {
          s = fresh;
          inMemory.incrementAndGet();
        }
      }
      sightings.last = s;
    }
    if (now - s.last >= AnomalyDetector.SEEN_RESOLUTION_MS) {
      s.last = now; // racing writers may leave an earlier time: last-seen is advisory
    }
  }

  @Override
  public int judge(Instant now, Predicate<AnomalyDetector.Pending> raise) {
    int raised = 0;
    List<Drained> batch = new ArrayList<>();
    for (KeyState st : states) {
      ConcurrentHashMap<Long, Seen> networks = st.networks.networks;
      for (Seen s : networks.values()) {
        s.drained = true;
        if (networks.remove(s.id, s)) {
          inMemory.decrementAndGet();
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
      toWrite.add(new NetworkSeen(keyId, network, first, last));
      if (k.networks().add(network) && !first.isBefore(k.learningStart().plus(learning))) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("network", network);
        d.put("learning_started_at", k.learningStart().toString());
        d.put("known_networks", k.networks().size() - 1);
        raised +=
            raise.test(new AnomalyDetector.Pending(e.state().key, Alert.NEW_NETWORK, first, d))
                ? 1
                : 0;
      }
    }
    return raised;
  }

  @Override
  public void forget(String keyId) {
    known.remove(keyId); // reloaded from the store if the key comes back
  }

  /**
   * Writes the networks judged since the last write in one batch; on a store fault they are kept
   * for the next write and the fault propagates.
   */
  void write() {
    if (!toWrite.isEmpty()) {
      store.addNetworks(List.copyOf(toWrite));
      toWrite.clear();
    }
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

  /** The CIDR text of a {@link #networkId}. */
  static String networkText(long id) {
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
