package io.keygate.core.audit;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks the whole audit log and says what it found: every event's sequence number and link, every
 * keyed hash (or, before the switch-over point, the public one), the sealed head, the chain's end
 * against the head, and this node's {@link AuditWitness}. Behind {@code keygate audit verify} and
 * {@code GET /v1/audit/verify}.
 *
 * <p>It reads the log in batches, oldest first, and keeps going after a break (re-synchronising on
 * the next event), so one report names every deletion, alteration and re-chaining, up to {@value
 * #MAX_PROBLEMS} of them. Thread-safe: each {@link #verify} call has its own state.
 */
public final class AuditVerifier {
  /** Events read per store call. */
  static final int BATCH = 1000;

  /** Problems named in one report; further ones are counted. */
  static final int MAX_PROBLEMS = 50;

  /**
   * What a verification found.
   *
   * @param events events read
   * @param head the head as stored
   * @param problems what is wrong (empty: intact), one sentence each
   * @param notes what the reader should know without it being wrong (an unkeyed prefix, no witness)
   */
  public record Report(long events, AuditHead head, List<String> problems, List<String> notes) {
    /** Copies the lists. */
    public Report {
      problems = List.copyOf(problems);
      notes = List.copyOf(notes);
    }

    /** Whether nothing is wrong. */
    public boolean intact() {
      return problems.isEmpty();
    }
  }

  private final AuditKeys keys;
  private final AuditWitness witness;

  /**
   * @param keys the audit keys, or {@code null} when none is available (a keyed chain then fails)
   * @param witness this node's witness, or {@code null} when there is none
   */
  public AuditVerifier(AuditKeys keys, AuditWitness witness) {
    this.keys = keys;
    this.witness = witness;
  }

  /** Reads and checks the whole log of {@code store}. */
  public Report verify(AuditLog store) {
    AuditHead head = store.auditHead();
    Walk walk = new Walk(keys, head);
    if (head.sealed()) {
      if (keys == null) {
        walk.problem(
            "no audit key is available here: the keyed part of the chain (from event "
                + head.keyedFrom()
                + ") and its sealed head cannot be checked");
      } else {
        String p = AuditChain.headProblem(keys, head);
        if (p != null) {
          walk.problem(p);
        }
      }
    } else if (!store.secretChecks(AuditKeys.SECRET).isEmpty()) {
      walk.problem(
          "the audit head is not sealed although an audit key was already used with this database:"
              + " the head was unsealed in the database (to pass keyed events off as unkeyed)");
    }
    long after = 0;
    while (true) {
      List<AuditEvent> batch = store.auditAfter(after, BATCH);
      if (batch.isEmpty()) {
        break;
      }
      batch.forEach(walk::accept);
      after = batch.get(batch.size() - 1).seq();
    }
    walk.end();
    List<String> notes = new ArrayList<>();
    if (witness != null) {
      witness.problems(store).forEach(walk::problem);
      if (witness.read().isEmpty()) {
        notes.add(
            "no audit witness at "
                + witness.file()
                + " yet: a head moved back to an older sealed state cannot be ruled out");
      }
    } else {
      notes.add("no audit witness: a head moved back to an older sealed state cannot be ruled out");
    }
    if (!head.sealed()) {
      notes.add(
          "the audit head is not sealed yet (no node with an audit key has opened this database):"
              + " events are checked by their public hashes only");
    } else if (head.keyedFrom() > 1) {
      notes.add(
          "events 1.."
              + (head.keyedFrom() - 1)
              + " were written before the audit key existed and are checked by their public"
              + " hashes; the sealed head and event "
              + head.keyedFrom()
              + " fix where they end");
    }
    return new Report(walk.count, head, walk.problems(), notes);
  }

  /** The state of one walk over the chain, event by event. */
  static final class Walk {
    private final AuditKeys keys;
    private final AuditHead head;
    private final List<String> problems = new ArrayList<>();
    private int omitted;
    private long expected = 1;
    private String prev = AuditChain.GENESIS;
    private int lastVersion = AuditChain.UNKEYED;
    private long count;
    private long lastSeq;
    private String lastHash = AuditChain.GENESIS;

    Walk(AuditKeys keys, AuditHead head) {
      this.keys = keys;
      this.head = head;
    }

    void problem(String p) {
      if (problems.size() < MAX_PROBLEMS) {
        problems.add(p);
      } else {
        omitted++;
      }
    }

    List<String> problems() {
      List<String> out = new ArrayList<>(problems);
      if (omitted > 0) {
        out.add("… and " + omitted + " more problem(s)");
      }
      return out;
    }

    void accept(AuditEvent ev) {
      count++;
      long seq = ev.seq();
      if (seq > expected) {
        problem(
            (seq == expected + 1
                    ? "event " + expected + " is missing"
                    : "events " + expected + ".." + (seq - 1) + " are missing")
                + " (deleted from the middle of the log)");
      } else if (!AuditChain.sameHash(ev.prevHash(), prev)) {
        problem(
            "event "
                + seq
                + ": its link to event "
                + (seq - 1)
                + " does not match (an event before it was altered, replaced or re-chained)");
      }
      String p = hashProblem(ev);
      if (p != null) {
        problem(p);
      }
      prev = ev.hash();
      lastSeq = seq;
      lastHash = ev.hash();
      expected = seq + 1;
      lastVersion = Math.max(lastVersion, ev.keyVersion());
    }

    private String hashProblem(AuditEvent ev) {
      long seq = ev.seq();
      int v = ev.keyVersion();
      if (!head.sealed() || seq < head.keyedFrom()) {
        if (v != AuditChain.UNKEYED) {
          return "event "
              + seq
              + " is keyed (v"
              + v
              + ") but lies "
              + (head.sealed()
                  ? "before the switch-over point (event " + head.keyedFrom() + ")"
                  : "in a log whose head is not sealed")
              + ": the head was altered";
        }
        return AuditChain.sameHash(
                ev.hash(), AuditChain.unkeyedHash(seq, ev.prevHash(), ev.entry()))
            ? null
            : "event " + seq + ": its content does not match its hash (altered)";
      }
      if (v == AuditChain.UNKEYED) {
        return "event "
            + seq
            + " carries a public, unkeyed hash although the chain is keyed from event "
            + head.keyedFrom()
            + ": it was re-chained with the public algorithm";
      }
      if (keys == null) {
        return null; // reported once, up front
      }
      if (!keys.has(v)) {
        return "event " + seq + " is linked under audit key v" + v + ", which is not held here";
      }
      if (v < lastVersion) {
        return "event "
            + seq
            + ": its audit key version went down (v"
            + v
            + " after v"
            + lastVersion
            + ")";
      }
      return AuditChain.sameHash(
              ev.hash(), AuditChain.keyedHash(keys, v, seq, ev.prevHash(), ev.entry()))
          ? null
          : "event "
              + seq
              + ": its content or link does not match its keyed hash (altered, or re-chained"
              + " without the audit key)";
    }

    void end() {
      if (!head.sealed()) {
        return;
      }
      if (lastSeq < head.seq()) {
        problem(
            "the log ends at event "
                + lastSeq
                + " but its sealed head records event "
                + head.seq()
                + ": "
                + (lastSeq + 1 == head.seq()
                    ? "event " + head.seq() + " was"
                    : "events " + (lastSeq + 1) + ".." + head.seq() + " were")
                + " deleted from the end");
      } else if (lastSeq > head.seq()) {
        problem(
            "events "
                + (head.seq() + 1)
                + ".."
                + lastSeq
                + " lie beyond the sealed head (event "
                + head.seq()
                + "): added without the audit key");
      } else if (!AuditChain.sameHash(lastHash, head.hash())) {
        problem(
            "the newest event ("
                + lastSeq
                + ") does not match the hash its sealed head records: it was rewritten");
      }
    }
  }
}
