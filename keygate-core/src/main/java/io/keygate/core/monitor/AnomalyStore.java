package io.keygate.core.monitor;

import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.Page;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Persistence for anomaly detection and least-privilege advice: alerts, the networks each key was
 * used from and the grants each key used. Implemented by the JDBC store over the same database as
 * the keys. Implementations must be thread-safe and safe to share between nodes: {@link #raise} is
 * deduplicated by the database, so two nodes raising the same alert store it once.
 */
public interface AnomalyStore {
  /**
   * Stores {@code alert} unless one with the same key, type and window exists; when stored, also
   * writes {@code event} (may be {@code null}) to the outbox in the same transaction.
   *
   * @return whether the alert was new
   */
  boolean raise(Alert alert, OutboxEvent event);

  /** A page of alerts, newest first; {@link IllegalArgumentException} for a bad cursor. */
  Page<Alert> alerts(AlertQuery query);

  /** One alert. */
  Optional<Alert> alert(String alertId);

  /**
   * Marks an open alert acknowledged by {@code audit.actor()} at {@code audit.at()} and appends
   * {@code audit} to the audit log in the same transaction. Writes nothing when the alert is absent
   * or already acknowledged.
   *
   * @return whether it changed
   */
  boolean acknowledge(String alertId, AuditEntry audit);

  /** The networks {@code keyId} was used from, with their first use. */
  Map<String, Instant> networks(String keyId);

  /** Adds or widens (first/last seen) networks in one batch. */
  void addNetworks(Collection<NetworkSeen> seen);

  /** The grants {@code keyId} used, with their last use. */
  List<GrantUse> grantUse(String keyId);

  /** Adds or advances grant uses in one batch. */
  void addGrantUse(Collection<GrantUse> uses);

  /**
   * Brute-force blocks recorded since {@code after} (inclusive): the {@code anomaly.detected}
   * outbox events of kind {@code brute_force} the enforcement code writes, oldest first.
   */
  List<OutboxEvent> bruteForceBlocks(Instant after, int limit);
}
