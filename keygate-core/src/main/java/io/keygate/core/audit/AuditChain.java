package io.keygate.core.audit;

import io.keygate.core.KeygateException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The audit log's chain: each event stores {@code HMAC-SHA256(auditKey_v, "keygate audit event" ‖ v
 * ‖ canonical(prevHash, event))}, and the head (newest sequence number and hash, the first keyed
 * event) is sealed with a MAC under the same key. Changing, removing, reordering or appending an
 * event, or moving the head back over deleted events, needs the audit key, which lives outside the
 * database.
 *
 * <p>Events written before the upgrade that introduced the audit key carry {@link #UNKEYED} and the
 * public {@code SHA-256(canonical(prevHash, event))}. They stay verifiable; they are protected by
 * the first keyed event (whose MAC covers their last hash) and the sealed head, which fixes where
 * the keyed part starts, so no event after that point can be passed off as unkeyed.
 *
 * <p>The canonical form length-prefixes every field, so no two different events share it; the
 * domain labels keep event MACs, head MACs and check values apart. Thread-safe: stateless.
 */
public final class AuditChain {
  /** The previous hash of the first event. */
  public static final String GENESIS = "0".repeat(64);

  /** Key version of events written before the chain was keyed (public SHA-256 links). */
  public static final int UNKEYED = 0;

  private AuditChain() {}

  /** What {@link #append} stores: the new event and the head sealed over it. */
  public record Appended(AuditEvent event, AuditHead head) {}

  /** The public, unkeyed hash of event number {@code seq} (events before the switch-over only). */
  public static String unkeyedHash(long seq, String prevHash, AuditEntry e) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(canonical(seq, prevHash, e).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException("SHA-256 unavailable", ex);
    }
  }

  /** The keyed hash of event number {@code seq} under audit key {@code version}. */
  public static String keyedHash(
      AuditKeys keys, int version, long seq, String prevHash, AuditEntry e) {
    return keys.mac(
        version, "keygate audit event\n" + version + "\n" + canonical(seq, prevHash, e));
  }

  /** The MAC sealing a head. */
  public static String headMac(AuditKeys keys, int version, long keyedFrom, long seq, String hash) {
    return keys.mac(
        version, "keygate audit head\n" + version + "\n" + keyedFrom + "\n" + seq + "\n" + hash);
  }

  /**
   * Seals a head that no node sealed yet: the events up to it stay unkeyed, the next one is the
   * first keyed event.
   */
  public static AuditHead seal(AuditKeys keys, AuditHead unsealed) {
    if (unsealed.sealed()) {
      throw new IllegalStateException("the audit head is already sealed");
    }
    int v = keys.currentVersion();
    long keyedFrom = unsealed.seq() + 1;
    return new AuditHead(
        unsealed.seq(),
        unsealed.hash(),
        keyedFrom,
        v,
        headMac(keys, v, keyedFrom, unsealed.seq(), unsealed.hash()));
  }

  /**
   * Why a sealed head does not verify under {@code keys}, or {@code null} when it does.
   *
   * @throws IllegalArgumentException the head is not sealed
   */
  public static String headProblem(AuditKeys keys, AuditHead head) {
    if (!head.sealed()) {
      throw new IllegalArgumentException("the audit head is not sealed");
    }
    if (!keys.has(head.keyVersion())) {
      return "the audit head (event "
          + head.seq()
          + ") is sealed under audit key v"
          + head.keyVersion()
          + ", which is not available here (held: "
          + keys.versions()
          + ")";
    }
    String expected = headMac(keys, head.keyVersion(), head.keyedFrom(), head.seq(), head.hash());
    if (head.mac() == null || !MessageDigest.isEqual(bytes(expected), bytes(head.mac()))) {
      return "the audit head (event "
          + head.seq()
          + ") does not verify under audit key v"
          + head.keyVersion()
          + ": it was altered in the database (events deleted from the end and the head moved"
          + " back, or the switch-over point moved), or this node holds a different audit key";
    }
    return null;
  }

  /**
   * Links {@code entry} after a sealed {@code head} under the current audit key, after checking the
   * head, so a head that was moved in the database is never extended (which would hide the events
   * deleted behind it).
   *
   * @throws KeygateException.AuditIntegrity the head is sealed under a version not held ({@code
   *     audit_key_unavailable}) or does not verify ({@code audit_head_invalid}); nothing may be
   *     written
   */
  public static Appended append(AuditKeys keys, AuditHead head, AuditEntry entry) {
    if (!head.sealed()) {
      throw new IllegalStateException("seal the audit head before appending");
    }
    String problem = headProblem(keys, head);
    if (problem != null) {
      throw new KeygateException.AuditIntegrity(
          keys.has(head.keyVersion()) ? "audit_head_invalid" : "audit_key_unavailable",
          problem
              + "; nothing was changed"
              + (keys.has(head.keyVersion())
                  ? ". Run keygate audit verify to see what changed"
                  : ", retry once this node holds that version"));
    }
    int v = keys.currentVersion();
    long seq = head.seq() + 1;
    AuditEvent ev =
        new AuditEvent(seq, entry, head.hash(), keyedHash(keys, v, seq, head.hash(), entry), v);
    return new Appended(
        ev,
        new AuditHead(
            seq,
            ev.hash(),
            head.keyedFrom(),
            v,
            headMac(keys, v, head.keyedFrom(), seq, ev.hash())));
  }

  /** Constant-time comparison of two hex hashes. */
  static boolean sameHash(String a, String b) {
    return a != null && b != null && MessageDigest.isEqual(bytes(a), bytes(b));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String canonical(long seq, String prevHash, AuditEntry e) {
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
    return sb.toString();
  }

  private static void field(StringBuilder sb, String v) {
    if (v == null) {
      sb.append("-1:");
    } else {
      sb.append(v.length()).append(':').append(v);
    }
  }
}
