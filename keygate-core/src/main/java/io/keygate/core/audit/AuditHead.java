package io.keygate.core.audit;

/**
 * The audit chain's tip as the store records it: the newest event and, once a node with an audit
 * key sealed it, a MAC over it, so that deleting the newest events and moving the head back cannot
 * be done without the audit key.
 *
 * @param seq sequence number of the newest event, 0 for an empty log
 * @param hash hash of the newest event ({@link AuditChain#GENESIS} for an empty log)
 * @param keyedFrom the first event linked under an audit key; events before it were written under
 *     the unkeyed algorithm (before the upgrade that introduced the audit key). 0 while unsealed
 * @param keyVersion audit key version of {@link #mac}, 0 while unsealed
 * @param mac {@link AuditChain#headMac} over the fields above, or {@code null} while unsealed
 */
public record AuditHead(long seq, String hash, long keyedFrom, int keyVersion, String mac) {
  /** The head of an empty, never sealed log. */
  public static final AuditHead EMPTY = new AuditHead(0, AuditChain.GENESIS, 0, 0, null);

  /** Whether a node with an audit key has sealed the head. */
  public boolean sealed() {
    return keyedFrom > 0;
  }
}
