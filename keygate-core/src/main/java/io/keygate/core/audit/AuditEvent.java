package io.keygate.core.audit;

/**
 * A stored audit event: the entry, its position and its link in the hash chain.
 *
 * @param seq position in the log, 1-based, without gaps
 * @param entry what happened
 * @param prevHash hash of event {@code seq - 1} ({@link AuditChain#GENESIS} for the first)
 * @param hash {@link AuditChain#hash(long, String, AuditEntry)} of this event
 */
public record AuditEvent(long seq, AuditEntry entry, String prevHash, String hash) {}
