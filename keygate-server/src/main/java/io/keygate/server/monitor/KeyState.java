package io.keygate.server.monitor;

import io.keygate.core.model.ApiKeyRecord;

/**
 * What {@link AnomalyDetector} keeps in memory about one key: the latest record and last-seen time,
 * plus each detector's per-key part (written lock-free on the hot path, judged at the tick).
 */
final class KeyState {
  final String keyId;
  volatile ApiKeyRecord key;
  volatile long lastSeenAt;
  final TrafficSpikes.Baseline baseline;
  final DenialBursts.Ring denials = new DenialBursts.Ring();
  final NewNetworks.Sightings networks = new NewNetworks.Sightings();
  final GrantUses.Grants grants = new GrantUses.Grants();

  KeyState(ApiKeyRecord key, long minute) {
    this.keyId = key.keyId();
    this.key = key;
    this.baseline = new TrafficSpikes.Baseline(minute);
  }

  /** True when nothing was seen since {@code cutoff} and nothing is left to judge or write. */
  boolean idleSince(long cutoff) {
    return lastSeenAt < cutoff
        && baseline.current.sum() == 0
        && networks.isEmpty()
        && grants.flushed();
  }
}
