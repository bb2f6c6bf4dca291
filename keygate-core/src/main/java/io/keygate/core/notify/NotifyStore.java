package io.keygate.core.notify;

import io.keygate.core.audit.AuditEntry;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.Page;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The store SPI for owners, the delivery of outbox events and expiry notices. Implemented next to
 * the {@link io.keygate.core.store.KeyStore} over the same database. Thread-safe; infrastructure
 * faults are {@link io.keygate.core.KeygateException.StoreUnavailable}.
 *
 * <p><b>Contract for several nodes.</b> {@link #dispatch} creates an event's deliveries at most
 * once; {@link #claim} hands a due delivery to one caller until its lease ends, and never a second
 * one of the same owner while the first is leased (one slow owner holds at most one worker); {@link
 * #recordExpiryNotice} records a (key, threshold) pair at most once. So any number of nodes may run
 * the same workers; delivery is at least once (a node dying mid-attempt leaves the lease to expire)
 * and receivers deduplicate by event id.
 */
public interface NotifyStore {
  /** The owner with this id. */
  Optional<StoredOwner> findOwner(String ownerId);

  /**
   * Inserts an owner and appends {@code audit} in the same transaction; {@link
   * io.keygate.core.KeygateException.Conflict} if the id exists (nothing is written).
   */
  void insertOwner(StoredOwner owner, AuditEntry audit);

  /**
   * Replaces an owner and appends {@code audit} in the same transaction; {@link
   * io.keygate.core.KeygateException.NotFound} if absent (nothing is written).
   */
  void updateOwner(StoredOwner owner, AuditEntry audit);

  /**
   * Up to {@code limit} owners with an id after {@code afterOwnerId} (null: from the first), by id.
   */
  List<StoredOwner> owners(String afterOwnerId, int limit);

  /**
   * Replaces an owner's sealed channels with {@code replacement} only if they are still {@code
   * expected} (re-sealing under a new data key never overwrites a concurrent change).
   *
   * @return whether the row was replaced
   */
  boolean replaceSealedChannels(String ownerId, String expected, String replacement);

  /** Events no node has dispatched yet, oldest first. */
  List<OutboxEvent> undispatched(int limit);

  /**
   * Marks an event dispatched and inserts its deliveries, in one transaction.
   *
   * @return false when another node dispatched it first (nothing is written)
   */
  boolean dispatch(String eventId, List<Delivery> deliveries, Instant at);

  /**
   * The oldest due delivery (pending, due at {@code now}, lease free) of each owner that has no
   * delivery leased at {@code now}, oldest first, for at most {@code limit} owners. Leases nothing:
   * a worker picks among them and {@link #claim claims} each before attempting it.
   */
  List<Delivery> dueHeads(Instant now, int limit);

  /**
   * Leases {@code head} until {@code leaseUntil} if, at {@code now}, it is still pending, due and
   * unleased and no other delivery of its owner is leased, so that each owner has at most one
   * delivery in flight across all nodes.
   *
   * @return the delivery with its lease token, or empty when another worker took it or its owner
   */
  Optional<Delivery> claim(Delivery head, Instant now, Instant leaseUntil);

  /**
   * Stores the outcome of an attempt and releases the lease, if the lease is still the caller's.
   *
   * @return false when the lease was lost (another node took the delivery over)
   */
  boolean finish(Delivery delivery);

  /** The event with this id. */
  Optional<OutboxEvent> event(String eventId);

  /** A page of events, newest first, with their deliveries. */
  Page<EventDeliveries> events(EventQuery query);

  /** Events not dispatched plus deliveries pending. */
  long backlog();

  /**
   * Keys not yet noticed for {@code days}: stored active, not past a scheduled revocation, expiring
   * after {@code now} and within {@code days} days of it.
   */
  List<ApiKeyRecord> expiringWithoutNotice(int days, Instant now, int limit);

  /** Keys whose expiry has passed at {@code now} and for which no {@code key.expired} was sent. */
  List<ApiKeyRecord> expiredWithoutNotice(Instant now, int limit);

  /**
   * Records that {@code keyId} got its notice for threshold {@code days} (0 = expired) and writes
   * {@code event} to the outbox, in one transaction; {@code suppressed} thresholds are recorded as
   * done without an event (a key created close to expiry skips the farther notices).
   *
   * @return false when the notice was already recorded (nothing is written)
   */
  boolean recordExpiryNotice(
      String keyId, int days, List<Integer> suppressed, OutboxEvent event, Instant at);
}
