package io.keygate.core.audit;

import java.util.List;
import java.util.Map;

/**
 * Read access to a stored audit chain: what {@link AuditVerifier} and {@link AuditWitness} need of
 * a store. The store SPI ({@code io.keygate.core.store.KeyStore}) extends it, so the audit package
 * depends on no store type.
 *
 * <p>Implementations are thread-safe.
 */
public interface AuditLog {
  /** Audit events with {@code seq > afterSeq}, oldest first, at most {@code limit}. */
  List<AuditEvent> auditAfter(long afterSeq, int limit);

  /** The audit chain's head as stored ({@link AuditHead#EMPTY} for a new store). */
  AuditHead auditHead();

  /**
   * The check values recorded for {@code secret} (e.g. {@code "pepper"}), by version: values made
   * from a secret version that identify it without revealing it (see {@code
   * io.keygate.core.SecretChecks}).
   */
  default Map<Integer, String> secretChecks(String secret) {
    throw new UnsupportedOperationException(getClass().getName() + " records no secret checks");
  }
}
