package io.keygate.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuditChainTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final AuditEntry BASE =
      new AuditEntry(
          T,
          "key_admin",
          "key.revoked",
          "key_abc",
          "acme",
          "203.0.113.7",
          Map.of("reason", "leak"));

  private static List<AuditEvent> chain(int n) {
    List<AuditEvent> out = new ArrayList<>();
    String prev = AuditChain.GENESIS;
    for (int i = 1; i <= n; i++) {
      AuditEntry e =
          new AuditEntry(
              T.plusSeconds(i), "actor" + i, "key.updated", "key_" + i, "owner", null, Map.of());
      String h = AuditChain.hash(i, prev, e);
      out.add(new AuditEvent(i, e, prev, h));
      prev = h;
    }
    return out;
  }

  @Test
  void hash_isDeterministicHexSha256() {
    String h = AuditChain.hash(1, AuditChain.GENESIS, BASE);
    assertThat(h).matches("[0-9a-f]{64}").isEqualTo(AuditChain.hash(1, AuditChain.GENESIS, BASE));
    assertThat(AuditChain.GENESIS).isEqualTo("0".repeat(64));
  }

  @Test
  void hash_changesWhenAnyFieldChanges() {
    String h = AuditChain.hash(1, AuditChain.GENESIS, BASE);
    List<AuditEntry> variants =
        List.of(
            new AuditEntry(
                T.plusMillis(1),
                "key_admin",
                "key.revoked",
                "key_abc",
                "acme",
                "203.0.113.7",
                Map.of("reason", "leak")),
            new AuditEntry(
                T,
                "key_admin2",
                "key.revoked",
                "key_abc",
                "acme",
                "203.0.113.7",
                Map.of("reason", "leak")),
            new AuditEntry(
                T,
                "key_admin",
                "key.disabled",
                "key_abc",
                "acme",
                "203.0.113.7",
                Map.of("reason", "leak")),
            new AuditEntry(
                T,
                "key_admin",
                "key.revoked",
                "key_abd",
                "acme",
                "203.0.113.7",
                Map.of("reason", "leak")),
            new AuditEntry(
                T,
                "key_admin",
                "key.revoked",
                null,
                "acme",
                "203.0.113.7",
                Map.of("reason", "leak")),
            new AuditEntry(
                T,
                "key_admin",
                "key.revoked",
                "key_abc",
                "acme2",
                "203.0.113.7",
                Map.of("reason", "leak")),
            new AuditEntry(
                T,
                "key_admin",
                "key.revoked",
                "key_abc",
                null,
                "203.0.113.7",
                Map.of("reason", "leak")),
            new AuditEntry(
                T,
                "key_admin",
                "key.revoked",
                "key_abc",
                "acme",
                "203.0.113.8",
                Map.of("reason", "leak")),
            new AuditEntry(
                T, "key_admin", "key.revoked", "key_abc", "acme", null, Map.of("reason", "leak")),
            new AuditEntry(
                T,
                "key_admin",
                "key.revoked",
                "key_abc",
                "acme",
                "203.0.113.7",
                Map.of("reason", "leak2")),
            new AuditEntry(
                T,
                "key_admin",
                "key.revoked",
                "key_abc",
                "acme",
                "203.0.113.7",
                Map.of("reasons", "leak")),
            new AuditEntry(
                T, "key_admin", "key.revoked", "key_abc", "acme", "203.0.113.7", Map.of()),
            new AuditEntry(
                T,
                "key_admin",
                "key.revoked",
                "key_abc",
                "acme",
                "203.0.113.7",
                Map.of("reason", "leak", "x", "y")));
    List<String> hashes = new ArrayList<>();
    hashes.add(h);
    for (AuditEntry v : variants) {
      hashes.add(AuditChain.hash(1, AuditChain.GENESIS, v));
    }
    hashes.add(AuditChain.hash(2, AuditChain.GENESIS, BASE));
    hashes.add(AuditChain.hash(1, "1".repeat(64), BASE));
    assertThat(hashes).doesNotHaveDuplicates();
  }

  @Test
  void hash_fieldBoundariesAreUnambiguous() {
    AuditEntry a = new AuditEntry(T, "ab", "c", null, null, null, Map.of());
    AuditEntry b = new AuditEntry(T, "a", "bc", null, null, null, Map.of());
    AuditEntry c = new AuditEntry(T, "a", "b", "", null, null, Map.of());
    AuditEntry d = new AuditEntry(T, "a", "b", null, null, null, Map.of());
    AuditEntry e = new AuditEntry(T, "a", "b", null, null, null, Map.of("k", "v"));
    AuditEntry f = new AuditEntry(T, "a", "b", null, null, "k", Map.of("v", ""));
    List<String> hashes = new ArrayList<>();
    for (AuditEntry x : List.of(a, b, c, d, e, f)) {
      hashes.add(AuditChain.hash(1, AuditChain.GENESIS, x));
    }
    assertThat(hashes).doesNotHaveDuplicates();
  }

  @Test
  void hash_detailsInsertionOrder_doesNotMatter() {
    Map<String, String> m1 = new java.util.LinkedHashMap<>();
    m1.put("b", "2");
    m1.put("a", "1");
    Map<String, String> m2 = new HashMap<>(Map.of("a", "1", "b", "2"));
    assertThat(
            AuditChain.hash(
                1, AuditChain.GENESIS, new AuditEntry(T, "x", "y", null, null, null, m1)))
        .isEqualTo(
            AuditChain.hash(
                1, AuditChain.GENESIS, new AuditEntry(T, "x", "y", null, null, null, m2)));
  }

  @Test
  void firstBreak_intactChain_isNull() {
    assertThat(AuditChain.firstBreak(chain(5), 1, AuditChain.GENESIS)).isNull();
    assertThat(AuditChain.firstBreak(List.of(), 1, AuditChain.GENESIS)).isNull();
  }

  @Test
  void firstBreak_suffixOfChain_verifiesFromItsAnchor() {
    List<AuditEvent> c = chain(5);
    assertThat(AuditChain.firstBreak(c.subList(2, 5), 3, c.get(1).hash())).isNull();
    assertThat(AuditChain.firstBreak(c.subList(2, 5), 3, AuditChain.GENESIS)).isNotNull();
  }

  @Test
  void firstBreak_alteredEvent_isDetected() {
    List<AuditEvent> c = new ArrayList<>(chain(5));
    AuditEvent ev = c.get(2);
    AuditEntry e = ev.entry();
    AuditEntry forged =
        new AuditEntry(
            e.at(), "someone_else", e.action(), e.targetId(), e.ownerId(), null, e.details());
    c.set(2, new AuditEvent(ev.seq(), forged, ev.prevHash(), ev.hash()));
    assertThat(AuditChain.firstBreak(c, 1, AuditChain.GENESIS))
        .contains("event 3")
        .contains("altered");
  }

  @Test
  void firstBreak_alteredAndRehashedEvent_breaksTheNextLink() {
    List<AuditEvent> c = new ArrayList<>(chain(5));
    AuditEvent ev = c.get(2);
    AuditEntry e = ev.entry();
    AuditEntry forged =
        new AuditEntry(
            e.at(), "someone_else", e.action(), e.targetId(), e.ownerId(), null, e.details());
    c.set(2, new AuditEvent(3, forged, ev.prevHash(), AuditChain.hash(3, ev.prevHash(), forged)));
    assertThat(AuditChain.firstBreak(c, 1, AuditChain.GENESIS))
        .startsWith("event 4")
        .contains("previous-hash");
  }

  @Test
  void firstBreak_missingEvent_isDetected() {
    List<AuditEvent> c = new ArrayList<>(chain(5));
    c.remove(1);
    assertThat(AuditChain.firstBreak(c, 1, AuditChain.GENESIS)).contains("missing");
  }

  @Test
  void firstBreak_missingFirstEvent_isDetected() {
    List<AuditEvent> c = new ArrayList<>(chain(3));
    c.remove(0);
    assertThat(AuditChain.firstBreak(c, 1, AuditChain.GENESIS)).isNotNull();
  }

  @Test
  void firstBreak_reorderedEvents_isDetected() {
    List<AuditEvent> c = new ArrayList<>(chain(5));
    Collections.swap(c, 1, 3);
    assertThat(AuditChain.firstBreak(c, 1, AuditChain.GENESIS)).startsWith("event 4");
  }

  @Test
  void firstBreak_renumberedAfterDeletion_isDetected() {
    // Delete event 2 and renumber the rest to hide the gap: the hash links still break.
    List<AuditEvent> c = chain(4);
    List<AuditEvent> forged = new ArrayList<>();
    forged.add(c.get(0));
    forged.add(new AuditEvent(2, c.get(2).entry(), c.get(2).prevHash(), c.get(2).hash()));
    forged.add(new AuditEvent(3, c.get(3).entry(), c.get(3).prevHash(), c.get(3).hash()));
    assertThat(AuditChain.firstBreak(forged, 1, AuditChain.GENESIS)).startsWith("event 2");
  }
}
