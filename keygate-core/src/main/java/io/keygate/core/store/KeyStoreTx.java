package io.keygate.core.store;

import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.model.ApiKeyRecord;
import java.util.Optional;

/** Operations inside one store transaction (see {@link KeyStore#inTransaction}). */
public interface KeyStoreTx {
  /** Reads a key and locks it against concurrent change until the transaction ends. */
  Optional<ApiKeyRecord> lockKey(String keyId);

  /** Inserts a new key; its id and hash must be unique. */
  void insertKey(ApiKeyRecord key);

  /**
   * Inserts a key imported from another system, known only by the plain SHA-256 (lower-case hex) of
   * its raw value, which must be unique. Its {@link ApiKeyRecord#hash} must be a placeholder no
   * keyed hash can equal. {@code legacyPrefix} is the key's prefix, or {@code ""} when unknown.
   */
  default void insertImportedKey(ApiKeyRecord key, String legacySha256, String legacyPrefix) {
    throw new UnsupportedOperationException(getClass().getName() + " does not import keys");
  }

  /** Forgets the SHA-256 of an imported key (after it was re-hashed under the pepper). */
  default void clearLegacy(String keyId) {
    throw new UnsupportedOperationException(getClass().getName() + " does not import keys");
  }

  /**
   * Stores every mutable field of an existing key (hash, settings, status, times, links). Usage
   * fields are left to {@link KeyStore#recordUsage}.
   */
  void updateKey(ApiKeyRecord key);

  /**
   * Appends an event to the audit chain under the store's current audit key and returns it as
   * stored. The head is sealed first if no node sealed it yet ({@link KeyStore#sealAuditHead}) and
   * checked before it is extended.
   *
   * @throws io.keygate.core.KeygateException.AuditIntegrity the head does not verify, or is sealed
   *     under a key version the store does not hold; the caller's transaction must roll back
   * @throws IllegalStateException the store has no audit key
   */
  AuditEvent appendAudit(AuditEntry entry);

  /** Writes a notification event to the outbox; it commits or rolls back with the change. */
  void enqueueEvent(OutboxEvent event);

  /**
   * Stores a leak incident unless one with the same {@link LeakIncident#dedupeKey()} exists.
   *
   * @return {@code true} if stored, {@code false} for a repeat (nothing written, the transaction
   *     stays usable)
   */
  boolean insertIncident(LeakIncident incident);

  /** Marks a stored key as a canary; its key id must be unique among canaries. */
  void insertCanary(Canary canary);
}
