package io.keygate.core.audit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The audit log's hash chain: each event stores {@code SHA-256(prevHash ‖ canonical(event))}, so
 * changing, removing or reordering any stored event breaks every later link.
 *
 * <p>The canonical form length-prefixes every field, so no two different events share it.
 * Thread-safe: stateless.
 */
public final class AuditChain {
  /** The previous hash of the first event. */
  public static final String GENESIS = "0".repeat(64);

  private AuditChain() {}

  /** The hash of event number {@code seq} following {@code prevHash}. */
  public static String hash(long seq, String prevHash, AuditEntry e) {
    StringBuilder sb = new StringBuilder(256);
    field(sb, prevHash);
    field(sb, Long.toString(seq));
    field(sb, Long.toString(e.at().toEpochMilli()));
    field(sb, e.actor());
    field(sb, e.action());
    field(sb, e.targetId());
    field(sb, e.ownerId());
    field(sb, e.sourceIp());
    for (Map.Entry<String, String> d : e.details().entrySet()) {
      field(sb, d.getKey());
      field(sb, d.getValue());
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(sb.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException("SHA-256 unavailable", ex);
    }
  }

  private static void field(StringBuilder sb, String v) {
    if (v == null) {
      sb.append("-1:");
    } else {
      sb.append(v.length()).append(':').append(v);
    }
  }

  /**
   * Checks a run of consecutive events, starting after {@code prevHash} at {@code expectedSeq}.
   *
   * @return {@code null} when intact, else a description of the first broken link
   */
  public static String firstBreak(Iterable<AuditEvent> events, long expectedSeq, String prevHash) {
    long seq = expectedSeq;
    String prev = prevHash;
    for (AuditEvent ev : events) {
      if (ev.seq() != seq) {
        return "event " + ev.seq() + ": expected sequence " + seq + " (an event is missing)";
      }
      if (!ev.prevHash().equals(prev)) {
        return "event " + ev.seq() + ": previous-hash link does not match event " + (seq - 1);
      }
      if (!ev.hash().equals(hash(ev.seq(), ev.prevHash(), ev.entry()))) {
        return "event " + ev.seq() + ": content does not match its hash (altered)";
      }
      prev = ev.hash();
      seq++;
    }
    return null;
  }
}
