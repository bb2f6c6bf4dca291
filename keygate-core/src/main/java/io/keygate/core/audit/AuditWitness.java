package io.keygate.core.audit;

import io.keygate.core.key.OwnerOnlyFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A copy of the audit head kept outside the database (by default {@code <data dir>/audit-head},
 * 0600): the newest sealed head this node wrote or verified. It catches what the keyed chain alone
 * cannot: someone with write access to the database who saved an older sealed head (or a backup)
 * can delete every event after it and put the old head back, or make the database look as if it had
 * never been keyed; this node still remembers the newer head.
 *
 * <p>Design note: the file only moves forward ({@link #advance} keeps the higher sequence number,
 * under a file lock, so several processes sharing a data directory cannot move it back), and it is
 * written only after the transaction that appended the event committed, so it never names an event
 * the database may not have. A mismatch is reported by {@link #problems} and never repaired
 * silently; {@link #reset} is for an operator who deliberately restored or resealed the database.
 *
 * <p>Thread-safe.
 */
public final class AuditWitness {
  private static final Pattern LINE =
      Pattern.compile("keyed_from=(\\d{1,18}) seq=(\\d{1,18}) hash=([0-9a-f]{64})");
  private static final String HEADER =
      "# Keygate audit witness: the newest audit event this node wrote or verified. Do not edit;"
          + " see docs/security.md.\n";

  /** What the file records. */
  public record Seen(long keyedFrom, long seq, String hash) {}

  private final Path file;

  /** A witness in {@code file} (created on first {@link #advance}). */
  public AuditWitness(Path file) {
    this.file = file;
  }

  /** The file. */
  public Path file() {
    return file;
  }

  /**
   * What the file records, or empty when it does not exist yet.
   *
   * @throws IllegalStateException the file is not in the expected form (damaged or edited)
   */
  public Optional<Seen> read() {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read audit witness " + file, e);
    }
  }

  private Optional<Seen> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    for (String line : text.split("\n")) {
      Matcher m = LINE.matcher(line.strip());
      if (m.matches()) {
        return Optional.of(
            new Seen(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), m.group(3)));
      }
    }
    throw new IllegalStateException(
        "audit witness " + file + " is damaged (no keyed_from=… seq=… hash=… line)");
  }

  /**
   * Records {@code head} if it is sealed and newer than what the file holds (a head at the same or
   * a lower sequence number changes nothing).
   */
  public void advance(AuditHead head) {
    if (!head.sealed()) {
      return;
    }
    write(head, false);
  }

  /** Records {@code head} whatever the file holds (after an operator resealed the log). */
  public void reset(AuditHead head) {
    write(head, true);
  }

  private void write(AuditHead head, boolean force) {
    try {
      OwnerOnlyFiles.update(
          file,
          text -> {
            Optional<Seen> now = force ? Optional.empty() : parse(text);
            if (now.isPresent() && now.get().seq() >= head.seq()) {
              return null;
            }
            return HEADER
                + "keyed_from="
                + head.keyedFrom()
                + " seq="
                + head.seq()
                + " hash="
                + head.hash()
                + "\n";
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write audit witness " + file, e);
    }
  }

  /**
   * What the store's chain contradicts in this witness: events deleted behind a head moved back
   * (the chain is shorter than what this node saw), an event rewritten, or the switch-over point
   * moved (keyed events passed off as unkeyed). Empty when consistent or when there is no witness.
   */
  public List<String> problems(AuditLog store) {
    return problems(
        store.auditHead(),
        seq ->
            store.auditAfter(seq - 1, 1).stream()
                .filter(e -> e.seq() == seq)
                .map(AuditEvent::hash)
                .findFirst()
                .orElse(null));
  }

  /**
   * {@link #problems(AuditLog)} for a head read by the caller (inside its transaction).
   *
   * @param hashAt the stored hash of an event, or {@code null} when there is no such event
   */
  public List<String> problems(AuditHead head, LongFunction<String> hashAt) {
    Optional<Seen> s = read();
    List<String> out = new ArrayList<>();
    if (s.isEmpty()) {
      return out;
    }
    Seen w = s.get();
    if (head.keyedFrom() != w.keyedFrom()) {
      out.add(
          "this node's audit witness ("
              + file
              + ") records the chain keyed from event "
              + w.keyedFrom()
              + ", the database "
              + (head.sealed() ? "from event " + head.keyedFrom() : "not keyed at all")
              + ": the switch-over point was moved (keyed events rewritten as unkeyed)");
    }
    if (head.seq() < w.seq()) {
      out.add(
          "the audit log ends at event "
              + head.seq()
              + " but this node's audit witness ("
              + file
              + ") records event "
              + w.seq()
              + ": events "
              + (head.seq() + 1)
              + ".."
              + w.seq()
              + " were deleted and the head moved back (or the database was restored from an"
              + " older backup)");
    } else if (w.seq() > 0) {
      String hash = hashAt.apply(w.seq());
      if (hash == null) {
        out.add("event " + w.seq() + ", recorded by this node's audit witness, is missing");
      } else if (!AuditChain.sameHash(hash, w.hash())) {
        out.add(
            "event "
                + w.seq()
                + " differs from what this node's audit witness ("
                + file
                + ") recorded: it was rewritten");
      }
    }
    return out;
  }
}
