package io.keygate.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.KeygateException;
import io.keygate.core.testing.TestAuditKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

class AuditChainTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
  private static final AuditEntry BASE = base(e -> {});
  private static final String BASE_UNKEYED =
      "6fb3aeaa7edf23d1381b6003cc8a1df3a9dced5d9ffb6080672b05d9a0f332e3";

  /** {@link #BASE}'s fields, for a variant that changes one of them. */
  private static final class Fields {
    Instant at = T;
    String actor = "key_admin";
    String action = "key.revoked";
    String targetId = "key_abc";
    String ownerId = "acme";
    String sourceIp = "203.0.113.7";
    Map<String, String> details = Map.of("reason", "leak");
  }

  /** The base entry after {@code change}. */
  private static AuditEntry base(Consumer<Fields> change) {
    Fields f = new Fields();
    change.accept(f);
    return new AuditEntry(f.at, f.actor, f.action, f.targetId, f.ownerId, f.sourceIp, f.details);
  }

  @Test
  void unkeyedHash_isDeterministicHexSha256_knownAnswer() {
    String h = AuditChain.unkeyedHash(1, AuditChain.GENESIS, BASE);
    assertThat(h)
        .matches("[0-9a-f]{64}")
        .isEqualTo(AuditChain.unkeyedHash(1, AuditChain.GENESIS, BASE));
    assertThat(AuditChain.GENESIS).isEqualTo("0".repeat(64));
    // Pinned: events written before the audit key existed must keep verifying after upgrades.
    assertThat(AuditChain.unkeyedHash(1, AuditChain.GENESIS, BASE)).isEqualTo(BASE_UNKEYED);
  }

  @Test
  void unkeyedHash_changesWhenAnyFieldChanges() {
    String h = AuditChain.unkeyedHash(1, AuditChain.GENESIS, BASE);
    List<AuditEntry> variants =
        List.of(
            base(e -> e.at = T.plusMillis(1)),
            base(e -> e.actor = "key_admin2"),
            base(e -> e.action = "key.disabled"),
            base(e -> e.targetId = "key_abd"),
            base(e -> e.targetId = null),
            base(e -> e.ownerId = "acme2"),
            base(e -> e.ownerId = null),
            base(e -> e.sourceIp = "203.0.113.8"),
            base(e -> e.sourceIp = null),
            base(e -> e.details = Map.of("reason", "leak2")),
            base(e -> e.details = Map.of("reasons", "leak")),
            base(e -> e.details = Map.of()),
            base(e -> e.details = Map.of("reason", "leak", "x", "y")));
    List<String> hashes = new ArrayList<>();
    hashes.add(h);
    for (AuditEntry v : variants) {
      hashes.add(AuditChain.unkeyedHash(1, AuditChain.GENESIS, v));
    }
    hashes.add(AuditChain.unkeyedHash(2, AuditChain.GENESIS, BASE));
    hashes.add(AuditChain.unkeyedHash(1, "1".repeat(64), BASE));
    assertThat(hashes).doesNotHaveDuplicates();
  }

  @Test
  void unkeyedHash_fieldBoundariesAreUnambiguous() {
    AuditEntry a = new AuditEntry(T, "ab", "c", null, null, null, Map.of());
    AuditEntry b = new AuditEntry(T, "a", "bc", null, null, null, Map.of());
    AuditEntry c = new AuditEntry(T, "a", "b", "", null, null, Map.of());
    AuditEntry d = new AuditEntry(T, "a", "b", null, null, null, Map.of());
    AuditEntry e = new AuditEntry(T, "a", "b", null, null, null, Map.of("k", "v"));
    AuditEntry f = new AuditEntry(T, "a", "b", null, null, "k", Map.of("v", ""));
    List<String> hashes = new ArrayList<>();
    for (AuditEntry x : List.of(a, b, c, d, e, f)) {
      hashes.add(AuditChain.unkeyedHash(1, AuditChain.GENESIS, x));
    }
    assertThat(hashes).doesNotHaveDuplicates();
  }

  @Test
  void unkeyedHash_detailsInsertionOrder_doesNotMatter() {
    Map<String, String> m1 = new LinkedHashMap<>();
    m1.put("b", "2");
    m1.put("a", "1");
    Map<String, String> m2 = new HashMap<>(Map.of("a", "1", "b", "2"));
    assertThat(
            AuditChain.unkeyedHash(
                1, AuditChain.GENESIS, new AuditEntry(T, "x", "y", null, null, null, m1)))
        .isEqualTo(
            AuditChain.unkeyedHash(
                1, AuditChain.GENESIS, new AuditEntry(T, "x", "y", null, null, null, m2)));
  }

  // ---------------------------------------------------------------- keyed chain

  private final AuditKeys keys = TestAuditKeys.random();

  /** {@code n} events appended after a fresh sealed head; returns them and the final head. */
  private Chain chain(AuditKeys k, int n) {
    AuditHead head = AuditChain.seal(k, AuditHead.EMPTY);
    List<AuditEvent> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      AuditChain.Appended a =
          AuditChain.append(
              k,
              head,
              new AuditEntry(
                  T.plusSeconds(i),
                  "actor" + i,
                  "key.updated",
                  "key_" + i,
                  "owner",
                  null,
                  Map.of()));
      out.add(a.event());
      head = a.head();
    }
    return new Chain(out, head);
  }

  private record Chain(List<AuditEvent> events, AuditHead head) {}

  private static List<String> walk(AuditKeys k, AuditHead head, List<AuditEvent> events) {
    AuditVerifier.Walk w = new AuditVerifier.Walk(k, head);
    events.forEach(w::accept);
    w.end();
    return w.problems();
  }

  @Test
  void keyedHash_dependsOnKeyAndVersion_andDiffersFromThePublicHash() {
    AuditKeys other = TestAuditKeys.random();
    AuditKeys two = new AuditKeys(List.of(TestAuditKeys.randomKey(1), TestAuditKeys.randomKey(2)));
    String h = AuditChain.keyedHash(keys, 1, 1, AuditChain.GENESIS, BASE);
    assertThat(h)
        .matches("[0-9a-f]{64}")
        .isEqualTo(AuditChain.keyedHash(keys, 1, 1, AuditChain.GENESIS, BASE))
        .isNotEqualTo(AuditChain.keyedHash(other, 1, 1, AuditChain.GENESIS, BASE))
        .isNotEqualTo(AuditChain.unkeyedHash(1, AuditChain.GENESIS, BASE))
        .isNotEqualTo(AuditChain.keyedHash(keys, 1, 2, AuditChain.GENESIS, BASE));
    assertThat(AuditChain.keyedHash(two, 1, 1, AuditChain.GENESIS, BASE))
        .isNotEqualTo(AuditChain.keyedHash(two, 2, 1, AuditChain.GENESIS, BASE));
    assertThat(keys.checkValue(1))
        .isNotEqualTo(other.checkValue(1))
        .isNotEqualTo(AuditChain.headMac(keys, 1, 1, 0, AuditChain.GENESIS));
  }

  @Test
  void append_linksUnderTheCurrentKey_andSealsTheNewHead() {
    Chain c = chain(keys, 3);
    assertThat(c.events()).extracting(AuditEvent::seq).containsExactly(1L, 2L, 3L);
    assertThat(c.events().get(0).prevHash()).isEqualTo(AuditChain.GENESIS);
    assertThat(c.events().get(1).prevHash()).isEqualTo(c.events().get(0).hash());
    assertThat(c.events()).allSatisfy(e -> assertThat(e.keyVersion()).isEqualTo(1));
    assertThat(c.head().seq()).isEqualTo(3);
    assertThat(c.head().hash()).isEqualTo(c.events().get(2).hash());
    assertThat(c.head().keyedFrom()).isEqualTo(1);
    assertThat(AuditChain.headProblem(keys, c.head())).isNull();
    assertThat(walk(keys, c.head(), c.events())).isEmpty();
  }

  @Test
  void append_onAHeadMovedBackOrForged_isRefused_soTheDeletionIsNeverHidden() {
    Chain c = chain(keys, 5);
    AuditEvent e3 = c.events().get(2);
    // Delete events 4 and 5 and move the head back to event 3, under each MAC an attacker has.
    for (String mac :
        List.of(
            c.head().mac(),
            "0".repeat(64),
            AuditChain.headMac(TestAuditKeys.random(), 1, 1, 3, e3.hash()))) {
      AuditHead moved = new AuditHead(3, e3.hash(), 1, 1, mac);
      assertThatThrownBy(
              () ->
                  AuditChain.append(
                      keys, moved, new AuditEntry(T, "a", "b", null, null, null, null)))
          .isInstanceOf(KeygateException.AuditIntegrity.class)
          .hasMessageContaining("does not verify")
          .extracting(e -> ((KeygateException) e).code())
          .isEqualTo("audit_head_invalid");
    }
    AuditHead unknownVersion = new AuditHead(5, c.head().hash(), 1, 2, c.head().mac());
    assertThatThrownBy(
            () ->
                AuditChain.append(
                    keys, unknownVersion, new AuditEntry(T, "a", "b", null, null, null, null)))
        .isInstanceOf(KeygateException.AuditIntegrity.class)
        .extracting(e -> ((KeygateException) e).code())
        .isEqualTo("audit_key_unavailable");
  }

  @Test
  void walk_newestEventsDeleted_isNamedAgainstTheSealedHead() {
    Chain c = chain(keys, 6);
    assertThat(walk(keys, c.head(), c.events().subList(0, 4)))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("ends at event 4")
        .contains("events 5..6 were deleted from the end");
    assertThat(walk(keys, c.head(), c.events().subList(0, 5)))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("event 6 was deleted from the end");
    assertThat(walk(keys, c.head(), List.of()))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("events 1..6");
  }

  @Test
  void walk_eventsDeletedFromTheMiddle_areNamed_withOrWithoutRenumbering() {
    Chain c = chain(keys, 6);
    List<AuditEvent> gap = new ArrayList<>(c.events());
    gap.remove(2);
    assertThat(walk(keys, c.head(), gap))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("event 3 is missing");
    List<AuditEvent> twoGaps = new ArrayList<>(c.events());
    twoGaps.remove(4);
    twoGaps.remove(1);
    twoGaps.remove(1);
    assertThat(walk(keys, c.head(), twoGaps))
        .anySatisfy(p -> assertThat(p).contains("events 2..3 are missing"))
        .anySatisfy(p -> assertThat(p).contains("event 5 is missing"));
    // Renumber the rest to hide the gap: their keyed hashes cover the sequence number.
    List<AuditEvent> renumbered = new ArrayList<>(c.events().subList(0, 2));
    for (AuditEvent e : c.events().subList(3, 6)) {
      renumbered.add(
          new AuditEvent(e.seq() - 1, e.entry(), e.prevHash(), e.hash(), e.keyVersion()));
    }
    assertThat(walk(keys, c.head(), renumbered))
        .anySatisfy(p -> assertThat(p).contains("event 3: its link to event 2 does not match"))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("event 3: its content or link does not match its keyed hash"));
  }

  @Test
  void walk_alteredEvent_isNamed_andRechainingWithThePublicAlgorithmToo() {
    Chain c = chain(keys, 5);
    AuditEvent ev = c.events().get(2);
    AuditEntry e = ev.entry();
    AuditEntry forged =
        new AuditEntry(
            e.at(), "someone_else", e.action(), e.targetId(), e.ownerId(), null, e.details());
    List<AuditEvent> altered = new ArrayList<>(c.events());
    altered.set(2, new AuditEvent(3, forged, ev.prevHash(), ev.hash(), 1));
    assertThat(walk(keys, c.head(), altered))
        .singleElement(InstanceOfAssertFactories.STRING)
        .startsWith("event 3: its content or link does not match its keyed hash");

    // Re-chain from the altered event to the end with the public algorithm, keeping key versions,
    // then again claiming the events are unkeyed, then also moving the head with a forged MAC.
    for (int version : new int[] {1, AuditChain.UNKEYED}) {
      List<AuditEvent> rechained = new ArrayList<>(c.events().subList(0, 2));
      String prev = c.events().get(1).hash();
      for (int i = 2; i < 5; i++) {
        AuditEntry x = i == 2 ? forged : c.events().get(i).entry();
        String h = AuditChain.unkeyedHash(i + 1, prev, x);
        rechained.add(new AuditEvent(i + 1, x, prev, h, version));
        prev = h;
      }
      AuditHead forgedHead = new AuditHead(5, prev, 1, 1, c.head().mac());
      assertThat(walk(keys, forgedHead, rechained))
          .as("version %d", version)
          .anySatisfy(
              p ->
                  assertThat(p)
                      .startsWith("event 3")
                      .containsAnyOf(
                          "re-chained with the public algorithm", "does not match its keyed hash"));
      assertThat(AuditChain.headProblem(keys, forgedHead)).contains("does not verify");
      AuditHead allUnkeyed =
          new AuditHead(5, prev, 6, 1, AuditChain.headMac(TestAuditKeys.random(), 1, 6, 5, prev));
      assertThat(AuditChain.headProblem(keys, allUnkeyed)).contains("does not verify");
    }
  }

  @Test
  void walk_unkeyedPrefixBeforeTheSwitchOver_verifies_andItsAlterationIsCaught() {
    List<AuditEvent> events = new ArrayList<>();
    String prev = AuditChain.GENESIS;
    for (int i = 1; i <= 3; i++) {
      AuditEntry e =
          new AuditEntry(T.plusSeconds(i), "old" + i, "key.created", null, null, null, Map.of());
      String h = AuditChain.unkeyedHash(i, prev, e);
      events.add(new AuditEvent(i, e, prev, h, AuditChain.UNKEYED));
      prev = h;
    }
    AuditHead head = AuditChain.seal(keys, new AuditHead(3, prev, 0, 0, null));
    assertThat(head.keyedFrom()).isEqualTo(4);
    for (int i = 4; i <= 5; i++) {
      AuditChain.Appended a =
          AuditChain.append(
              keys,
              head,
              new AuditEntry(
                  T.plusSeconds(i), "new" + i, "key.created", null, null, null, Map.of()));
      events.add(a.event());
      head = a.head();
    }
    assertThat(walk(keys, head, events)).isEmpty();

    // Rewrite an unkeyed event and re-chain the unkeyed prefix: event 4's keyed hash covers its
    // link.
    List<AuditEvent> rewritten = new ArrayList<>(events);
    AuditEntry forged =
        new AuditEntry(T.plusSeconds(2), "mallory", "key.created", null, null, null, Map.of());
    String h2 = AuditChain.unkeyedHash(2, events.get(0).hash(), forged);
    String h3 = AuditChain.unkeyedHash(3, h2, events.get(2).entry());
    rewritten.set(1, new AuditEvent(2, forged, events.get(0).hash(), h2, 0));
    rewritten.set(2, new AuditEvent(3, events.get(2).entry(), h2, h3, 0));
    assertThat(walk(keys, head, rewritten))
        .singleElement(InstanceOfAssertFactories.STRING)
        .startsWith("event 4: its link to event 3 does not match");
  }

  @Test
  void walk_keyVersions_mayRiseButNeverFall() {
    AuditKeys both = new AuditKeys(List.of(TestAuditKeys.randomKey(1), TestAuditKeys.randomKey(2)));
    AuditKeys onlyOne = new AuditKeys(List.of(TestAuditKeys.randomKey(1)));
    Chain c = chain(both, 2); // under v2
    assertThat(c.events()).allSatisfy(e -> assertThat(e.keyVersion()).isEqualTo(2));
    assertThat(walk(both, c.head(), c.events())).isEmpty();
    assertThat(walk(onlyOne, c.head(), c.events()))
        .anySatisfy(p -> assertThat(p).contains("audit key v2, which is not held here"));
  }
}
