package io.keygate.core.store;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditLog;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.Page;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The store SPI: where key records and the audit log live. Implementations (SQLite, PostgreSQL) are
 * thread-safe and throw {@link io.keygate.core.KeygateException.StoreUnavailable} for
 * infrastructure faults.
 *
 * <p><b>Contract.</b> Everything done through one {@link #inTransaction} call commits together or
 * not at all; transactions are serialisable with respect to each other for the same key (SQLite:
 * one writer; PostgreSQL: {@link KeyStoreTx#lockKey} takes a row lock) and the audit chain is
 * appended under a lock, so concurrent appends never fork it.
 */
public interface KeyStore extends AuditLog, AutoCloseable {

  /** Runs {@code work} in one transaction and commits; any exception rolls back and propagates. */
  <T> T inTransaction(Function<KeyStoreTx, T> work);

  /** The key whose stored hash is {@code hash}. */
  Optional<ApiKeyRecord> findByHash(String hash);

  /** The key with this id. */
  Optional<ApiKeyRecord> findById(String keyId);

  /**
   * The imported key whose raw value has this SHA-256 (lower-case hex) and that has not been
   * re-hashed under the pepper yet (see {@link KeyStoreTx#insertImportedKey}).
   */
  default Optional<ApiKeyRecord> findByLegacySha256(String sha256Hex) {
    return Optional.empty();
  }

  /**
   * The prefixes of imported keys not yet re-hashed ({@code ""} for keys imported without one):
   * presented keys with these prefixes are looked up by SHA-256 when the keyed-hash lookup misses.
   */
  default Set<String> legacyPrefixes() {
    return Set.of();
  }

  /**
   * The prefixes of every imported key, re-hashed or not ({@code ""} for keys imported without
   * one): keys with these prefixes have no Keygate checksum and are still looked up. The default is
   * {@link #legacyPrefixes()} for stores that forget a prefix at re-hash.
   */
  default Set<String> importedPrefixes() {
    return legacyPrefixes();
  }

  /**
   * The prefixes of the imported keys of one owner, as {@link #importedPrefixes()} lists them for
   * all owners. Security guarantee: never names a prefix only another owner's keys carry, so an
   * owner-limited token learns nothing about other tenants' migrated keys. The default, for stores
   * that cannot tell owners apart, is empty (fail closed).
   */
  default Set<String> importedPrefixes(String ownerId) {
    return Set.of();
  }

  /** A page of keys, newest first, evaluating derived statuses at {@code now}. */
  Page<ApiKeyRecord> list(KeyQuery query, Instant now);

  /** Active keys whose scheduled revocation is at or before {@code now}, oldest first. */
  List<ApiKeyRecord> dueForRevocation(Instant now, int limit);

  /** Adds batched usage: counts are added, last-used times only move forward. */
  void recordUsage(Collection<UsageDelta> deltas);

  /**
   * Subtracts batched quota consumption from keys that have a quota, never below zero. When a
   * delta's {@link QuotaDelta#periodStart} is after the stored refill time and the key has a
   * refill, the balance is first reset to the refill amount and the refill time set to that period
   * start. Keys without a quota are left alone.
   */
  default void recordQuotaUsage(Collection<QuotaDelta> deltas) {
    throw new UnsupportedOperationException(getClass().getName() + " does not store quotas");
  }

  /** A page of audit events, newest first. */
  List<AuditEvent> audit(AuditQuery query);

  /**
   * Seals the audit head under the store's audit key unless a node sealed it already, and returns
   * it as stored (sealed). Sealing fixes the switch-over point: the events up to the head stay
   * unkeyed, every later one is keyed. It also records the audit key's check value ({@link
   * AuditKeys#checkValue}) in the same transaction, so that the head can never look unsealed again
   * without that record contradicting it. Appends seal on their own; a node calls this at startup.
   *
   * @throws KeygateException.AuditIntegrity ({@code audit_head_unsealed}) the head is not sealed
   *     although an audit key check value is recorded: someone unsealed it in the database
   * @throws IllegalStateException the store has no audit key
   */
  AuditHead sealAuditHead();

  /**
   * An operator's acknowledgement of a head that does not verify (after {@code keygate audit
   * verify} named why): in one transaction, moves the head to the newest stored event, seals it
   * under the current audit key and appends {@code note} with what was found (the old head's
   * sequence number and hash, the log's end). The events themselves are not touched, so every
   * alteration inside the log stays detectable.
   *
   * @return the new head
   */
  default AuditHead resealAuditHead(AuditEntry note) {
    throw new UnsupportedOperationException(getClass().getName() + " cannot reseal its audit log");
  }

  /**
   * Records {@code value} as the check value of version {@code version} of {@code secret} unless
   * one is recorded already, and returns the one recorded (the first node's wins).
   */
  default String recordSecretCheck(String secret, int version, String value) {
    throw new UnsupportedOperationException(getClass().getName() + " records no secret checks");
  }

  /**
   * Outbox events, newest first.
   *
   * @param ownerId only this owner's events, or {@code null}
   * @param keyId only events about this key, or {@code null}
   */
  List<OutboxEvent> outbox(String ownerId, String keyId, int limit);

  /**
   * A page of leak incidents, newest report first ({@code reported_at}, then incident id,
   * descending).
   *
   * @throws IllegalArgumentException for a malformed cursor
   */
  Page<LeakIncident> incidents(IncidentQuery query);

  /** The canary marking of key {@code keyId}, if it is one. */
  Optional<Canary> findCanary(String keyId);

  /**
   * A page of canaries, newest first.
   *
   * @param ownerId only this owner's, or {@code null}
   * @throws IllegalArgumentException for a malformed cursor
   */
  Page<Canary> canaries(String ownerId, int limit, String cursor);

  /** Releases connections. */
  @Override
  void close();
}
