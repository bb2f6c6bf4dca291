package io.keygate.server.config;

import io.keygate.server.outbound.AddressPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Keygate's outbound calls (owners' webhooks, secret scanning partner keys, email) and the pool
 * that makes them. Validated on construction; read from {@code KEYGATE_*} by {@link #fromEnv}.
 *
 * @param allowedNetworks CIDR ranges outbound calls may reach although they are not public
 *     (loopback, private, link-local, …): {@code KEYGATE_WEBHOOK_ALLOWED_NETWORKS},
 *     comma-separated, default none
 * @param connectTimeout longest wait for a connection (and for DNS) per call: {@code
 *     KEYGATE_WEBHOOK_CONNECT_TIMEOUT_SECONDS}, default 5; the whole call is bounded by {@code
 *     KEYGATE_WEBHOOK_TIMEOUT_SECONDS} ({@link NotifyConfig#webhookTimeout()})
 * @param deliveryThreads deliveries attempted at once on this node, each owner at most one at a
 *     time: {@code KEYGATE_DELIVERY_THREADS}, default 4
 */
public record OutboundConfig(
    List<String> allowedNetworks, Duration connectTimeout, int deliveryThreads) {
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_DELIVERY_THREADS = 4;
  public static final int MAX_DELIVERY_THREADS = 64;

  /** Validates every setting; a malformed network fails here, at startup. */
  public OutboundConfig {
    allowedNetworks = List.copyOf(allowedNetworks);
    try {
      AddressPolicy.allowing(allowedNetworks);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("KEYGATE_WEBHOOK_ALLOWED_NETWORKS: " + e.getMessage());
    }
    if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw new IllegalArgumentException("outbound connect timeout must be positive");
    }
    if (deliveryThreads < 1 || deliveryThreads > MAX_DELIVERY_THREADS) {
      throw new IllegalArgumentException(
          "KEYGATE_DELIVERY_THREADS must be 1.."
              + MAX_DELIVERY_THREADS
              + ", was "
              + deliveryThreads);
    }
  }

  /** Defaults: public addresses only, 5 s connect timeout, 4 delivery threads. */
  public static OutboundConfig defaults() {
    return fromEnv(Map.of());
  }

  /**
   * Reads {@code KEYGATE_WEBHOOK_ALLOWED_NETWORKS}, {@code KEYGATE_WEBHOOK_CONNECT_TIMEOUT_SECONDS}
   * and {@code KEYGATE_DELIVERY_THREADS} through {@link Settings}.
   */
  public static OutboundConfig fromEnv(Map<String, String> env) {
    return new OutboundConfig(
        Settings.WEBHOOK_ALLOWED_NETWORKS.from(env),
        Settings.WEBHOOK_CONNECT_TIMEOUT.from(env),
        Settings.DELIVERY_THREADS.from(env));
  }

  /** A copy allowing exactly {@code networks} (tests whose receiver is on loopback). */
  public OutboundConfig allowing(String... networks) {
    return new OutboundConfig(List.of(networks), connectTimeout, deliveryThreads);
  }

  /** The policy these settings describe. */
  public AddressPolicy policy() {
    return AddressPolicy.allowing(allowedNetworks);
  }
}
