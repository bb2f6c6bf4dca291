package io.keygate.core.monitor;

import java.time.Instant;
import java.util.Objects;

/**
 * A client network (IPv4 /24 or IPv6 /48, e.g. {@code 203.0.113.0/24}) a key was used from.
 *
 * @param keyId the key
 * @param network the network in CIDR notation
 * @param firstSeen first use from it
 * @param lastSeen last use from it
 */
public record NetworkSeen(String keyId, String network, Instant firstSeen, Instant lastSeen) {
  /** Checks fields. */
  public NetworkSeen {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(firstSeen, "firstSeen");
    Objects.requireNonNull(lastSeen, "lastSeen");
  }
}
