package io.keygate.core.audit;

/**
 * A stored audit event: the entry, its position and its link in the chain.
 *
 * @param seq position in the log, 1-based, without gaps
 * @param entry what happened
 * @param prevHash hash of event {@code seq - 1} ({@link AuditChain#GENESIS} for the first)
 * @param hash {@link AuditChain#keyedHash} of this event under audit key {@code keyVersion}, or for
 *     events written before the chain was keyed ({@code keyVersion} {@link AuditChain#UNKEYED}) the
 *     public {@link AuditChain#unkeyedHash}
 * @param keyVersion the audit key version the event is linked under
 */
public record AuditEvent(
    long seq, AuditEntry entry, String prevHash, String hash, int keyVersion) {}
