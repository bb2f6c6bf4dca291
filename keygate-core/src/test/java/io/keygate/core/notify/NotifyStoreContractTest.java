package io.keygate.core.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.StoreContract;
import io.keygate.core.testing.TestKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link NotifyStore} must show: owners, outbox dispatch, fair delivery leases
 * and expiry notices. A store module extends this class and supplies a fresh {@link KeyStore} and
 * the notify store over the same database. Times have millisecond precision; no key material is
 * involved.
 */
public abstract class NotifyStoreContractTest extends StoreContract<NotifyStore> {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  // ---------------------------------------------------------------- owners

  @Test
  void insertOwner_roundTrips_andAuditsInTheSameTransaction_aSecondIsAConflictWritingNothing() {
    StoredOwner acme = new StoredOwner("acme", "Acme", "sealed-1", T0, T0.plusMillis(3));
    store.insertOwner(acme, audit("owner.created", T0));

    assertThatThrownBy(
            () ->
                store.insertOwner(
                    new StoredOwner("acme", "Other", "sealed-2", T0, T0),
                    audit("owner.created", T0)))
        .isInstanceOf(KeygateException.Conflict.class);

    assertThat(store.findOwner("acme")).contains(acme);
    assertThat(store.findOwner("absent")).isEmpty();
    assertThat(auditActions()).containsExactly("owner.created");
  }

  @Test
  void updateOwner_replacesNameChannelsAndUpdatedAt_absentIsNotFoundWritingNothing() {
    store.insertOwner(new StoredOwner("acme", "Acme", "s1", T0, T0), audit("owner.created", T0));
    StoredOwner renamed = new StoredOwner("acme", "Acme Inc", "s2", T0, T0.plusSeconds(5));

    store.updateOwner(renamed, audit("owner.updated", T0.plusSeconds(5)));
    assertThatThrownBy(
            () ->
                store.updateOwner(
                    new StoredOwner("ghost", "G", "s", T0, T0), audit("owner.updated", T0)))
        .isInstanceOf(KeygateException.NotFound.class);

    assertThat(store.findOwner("acme")).contains(renamed);
    assertThat(store.findOwner("ghost")).isEmpty();
    assertThat(auditActions()).containsExactly("owner.updated", "owner.created");
  }

  @Test
  void owners_byIdAfterTheGivenOne_limited() {
    for (String id : List.of("c", "a", "d", "b")) {
      store.insertOwner(new StoredOwner(id, id, "s", T0, T0), audit("owner.created", T0));
    }

    assertThat(ownerIds(store.owners(null, 3))).containsExactly("a", "b", "c");
    assertThat(ownerIds(store.owners("c", 3))).containsExactly("d");
    assertThat(ownerIds(store.owners("bb", 10))).containsExactly("c", "d");
    assertThat(store.owners("d", 3)).isEmpty();
  }

  @Test
  void replaceSealedChannels_onlyWhenStillTheExpectedValue() {
    store.insertOwner(new StoredOwner("acme", "Acme", "old", T0, T0), audit("owner.created", T0));

    assertThat(store.replaceSealedChannels("acme", "stale", "new")).isFalse();
    assertThat(store.replaceSealedChannels("ghost", "old", "new")).isFalse();
    assertThat(store.replaceSealedChannels("acme", "old", "new")).isTrue();
    assertThat(store.replaceSealedChannels("acme", "old", "newer")).isFalse();

    assertThat(store.findOwner("acme").orElseThrow().sealedChannels()).isEqualTo("new");
  }

  // ---------------------------------------------------------------- dispatch

  @Test
  void undispatched_oldestFirst_limited_untilDispatchedOnce() {
    OutboxEvent late = enqueue("evt_b", "acme", T0.plusSeconds(2));
    OutboxEvent early = enqueue("evt_a", "acme", T0.plusSeconds(1));
    OutboxEvent tie = enqueue("evt_c", "acme", T0.plusSeconds(2));

    assertThat(store.undispatched(10)).containsExactly(early, late, tie);
    assertThat(store.undispatched(1)).containsExactly(early);

    Delivery d = Delivery.pending("dlv_1", "evt_a", "acme", "ch_1", Delivery.WEBHOOK, T0);
    assertThat(store.dispatch("evt_a", List.of(d), T0.plusSeconds(3))).isTrue();
    assertThat(store.dispatch("evt_a", List.of(d), T0.plusSeconds(4))).isFalse();
    assertThat(store.dispatch("evt_absent", List.of(), T0)).isFalse();

    assertThat(store.undispatched(10)).containsExactly(late, tie);
    EventDeliveries listed =
        store.events(new EventQuery(null, null, null, 10, null)).items().get(2);
    assertThat(listed.event()).isEqualTo(early);
    assertThat(listed.dispatchedAt()).isEqualTo(T0.plusSeconds(3));
    assertThat(listed.deliveries()).containsExactly(d);
  }

  @Test
  void dispatch_concurrentlyByManyNodes_createsTheDeliveriesOnce() throws Exception {
    enqueue("evt_a", "acme", T0);

    List<Boolean> won =
        race(
            () ->
                store.dispatch(
                    "evt_a",
                    List.of(
                        Delivery.pending(
                            "dlv_" + hex(6), "evt_a", "acme", "ch_1", Delivery.WEBHOOK, T0)),
                    T0));

    assertThat(won).containsOnlyOnce(true);
    assertThat(store.events(new EventQuery(null, null, null, 10, null)).items().get(0).deliveries())
        .hasSize(1);
  }

  @Test
  void event_byId() {
    OutboxEvent e = enqueue("evt_a", "acme", T0);

    assertThat(store.event("evt_a")).contains(e);
    assertThat(store.event("evt_absent")).isEmpty();
  }

  @Test
  void backlog_countsUndispatchedEventsAndPendingDeliveries() {
    assertThat(store.backlog()).isZero();
    enqueue("evt_a", "acme", T0);
    enqueue("evt_b", "acme", T0);
    store.dispatch(
        "evt_a",
        List.of(
            Delivery.pending("dlv_1", "evt_a", "acme", "ch_1", Delivery.WEBHOOK, T0),
            Delivery.pending("dlv_2", "evt_a", "acme", "ch_2", Delivery.EMAIL, T0)),
        T0);

    assertThat(store.backlog()).isEqualTo(3);

    Delivery leased = store.claim(store.dueHeads(T0, 1).get(0), T0, T0.plusSeconds(30)).get();
    store.finish(leased.attempted(DeliveryStatus.DELIVERED, null, null, 200, T0));
    assertThat(store.backlog()).isEqualTo(2);
  }

  // ---------------------------------------------------------------- listing

  @Test
  void events_newestFirst_tiesByIdDescending_pagedWithoutGapsOrRepeats_withFilters() {
    List<OutboxEvent> acme = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      acme.add(enqueue("evt_" + i, "acme", T0.plusSeconds(i / 2)));
    }
    keys.inTransaction(
        tx -> {
          tx.enqueueEvent(
              new OutboxEvent("evt_x", EventTypes.KEY_REVOKED, "other", "key_x", T0, Map.of()));
          return null;
        });
    List<OutboxEvent> expected = new ArrayList<>(acme);
    expected.sort(
        (x, y) ->
            x.createdAt().equals(y.createdAt())
                ? y.eventId().compareTo(x.eventId())
                : y.createdAt().compareTo(x.createdAt()));

    List<OutboxEvent> seen = new ArrayList<>();
    String cursor = null;
    do {
      Page<EventDeliveries> page = store.events(new EventQuery("acme", null, null, 3, cursor));
      page.items().forEach(e -> seen.add(e.event()));
      cursor = page.nextCursor();
    } while (cursor != null);

    assertThat(seen).containsExactlyElementsOf(expected);
    assertThat(eventIds(new EventQuery(null, "key_x", null, 10, null))).containsExactly("evt_x");
    assertThat(eventIds(new EventQuery(null, null, EventTypes.KEY_REVOKED, 10, null)))
        .containsExactly("evt_x");
    assertThat(eventIds(new EventQuery("other", null, EventTypes.KEY_CREATED, 10, null))).isEmpty();
    assertThat(store.events(new EventQuery(null, null, null, 8, null)).nextCursor()).isNull();
  }

  @Test
  void events_badCursor_isIllegalArgument() {
    enqueue("evt_a", "acme", T0);
    for (String bad : new String[] {"not base64!", "eA", "YWJjOmV2dA"}) {
      assertThatThrownBy(() -> store.events(new EventQuery(null, null, null, 10, bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  // ---------------------------------------------------------------- leases

  @Test
  void dueHeads_oneOldestPerOwner_andNoneForAnOwnerWithADeliveryInFlight() {
    pending("busy", 50, 1);
    pending("quiet", 1, 0);
    Instant now = T0.plusSeconds(60);

    List<Delivery> heads = store.dueHeads(now, 10);
    assertThat(heads).extracting(Delivery::deliveryId).containsExactly("dlv_busy_0", "dlv_quiet_0");
    assertThat(store.dueHeads(now, 1))
        .extracting(Delivery::deliveryId)
        .containsExactly("dlv_busy_0");

    Delivery leased = store.claim(heads.get(0), now, now.plusSeconds(30)).orElseThrow();
    assertThat(leased.leaseToken()).isNotNull();
    assertThat(store.dueHeads(now, 10))
        .as("the busy owner has one in flight: none of its 49 others is offered")
        .extracting(Delivery::deliveryId)
        .containsExactly("dlv_quiet_0");
    assertThat(store.dueHeads(T0.minusMillis(1), 10)).as("nothing is due yet").isEmpty();
    Delivery busyNext = Delivery.pending("dlv_busy_1", "evt_busy_1", "busy", "ch_1", "webhook", T0);
    assertThat(store.claim(busyNext, now, now.plusSeconds(30)))
        .as("a second lease of the busy owner is refused")
        .isEmpty();
    assertThat(store.claim(heads.get(1), now, now.plusSeconds(30))).isPresent();
    assertThat(store.claim(heads.get(1), now, now.plusSeconds(30)))
        .as("a head is leased once")
        .isEmpty();

    // the attempt ends: the owner's next delivery becomes its head
    assertThat(store.finish(leased.attempted(DeliveryStatus.DELIVERED, null, null, 200, now)))
        .isTrue();
    assertThat(store.dueHeads(now, 10))
        .extracting(Delivery::deliveryId)
        .containsExactly("dlv_busy_1");

    // an expired lease (a node died mid-attempt) frees the owner again
    Delivery stuck =
        store.claim(store.dueHeads(now, 10).get(0), now, now.plusSeconds(5)).orElseThrow();
    assertThat(store.dueHeads(now.plusSeconds(4), 10)).isEmpty();
    assertThat(store.dueHeads(now.plusSeconds(5), 10))
        .extracting(Delivery::deliveryId)
        .containsExactly(stuck.deliveryId());
  }

  @Test
  void claim_notYetDue_isRefused() {
    pending("acme", 1, 0);
    Delivery head = store.dueHeads(T0, 1).get(0);

    assertThat(store.claim(head, T0.minusMillis(1), T0.plusSeconds(30))).isEmpty();
    assertThat(store.claim(head, T0, T0.plusSeconds(30))).isPresent();
  }

  @Test
  void claim_eightWorkersRacingForOneOwnersHeads_leaseExactlyOne() throws Exception {
    pending("acme", 8, 0);
    Instant now = T0.plusSeconds(1);
    List<Delivery> rows = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      rows.add(Delivery.pending("dlv_acme_" + i, "evt_acme_" + i, "acme", "ch_1", "webhook", T0));
    }
    for (int round = 0; round < 5; round++) {
      // every worker tries a different row of the same owner at the same moment
      List<Delivery> current = List.copyOf(rows);
      int[] next = {0};
      List<Optional<Delivery>> results =
          race(
              () -> {
                Delivery mine;
                synchronized (next) {
                  mine = current.get(next[0]++ % current.size());
                }
                return store.claim(mine, now, now.plusSeconds(30));
              });
      List<Delivery> won = results.stream().flatMap(Optional::stream).toList();
      assertThat(won).as("round %d", round).hasSize(1);
      Delivery w = won.get(0);
      assertThat(store.finish(w.attempted(DeliveryStatus.DELIVERED, null, null, 200, now)))
          .isTrue();
      rows.removeIf(r -> r.deliveryId().equals(w.deliveryId()));
    }
  }

  @Test
  void finish_storesTheOutcome_onlyWhileTheLeaseIsTheCallers() {
    pending("acme", 1, 0);
    Instant now = T0.plusSeconds(1);
    Delivery first = store.claim(store.dueHeads(now, 1).get(0), now, now.plusSeconds(5)).get();
    Instant later = now.plusSeconds(5);
    Delivery second =
        store.claim(store.dueHeads(later, 1).get(0), later, later.plusSeconds(5)).get();

    assertThat(
            store.finish(
                first.attempted(DeliveryStatus.DEAD, null, "late", 500, now.plusSeconds(6))))
        .as("the lease was taken over")
        .isFalse();
    Delivery retried =
        second.attempted(DeliveryStatus.PENDING, later.plusSeconds(60), "timeout", null, later);
    assertThat(store.finish(retried)).isTrue();
    assertThat(store.finish(retried)).as("the lease is released").isFalse();

    Delivery stored =
        store.events(new EventQuery(null, null, null, 1, null)).items().get(0).deliveries().get(0);
    assertThat(stored)
        .isEqualTo(
            new Delivery(
                retried.deliveryId(),
                retried.eventId(),
                "acme",
                "ch_1",
                "webhook",
                DeliveryStatus.PENDING,
                1,
                later.plusSeconds(60),
                "timeout",
                null,
                retried.createdAt(),
                later,
                null,
                null));
    assertThat(store.dueHeads(later.plusSeconds(59), 1)).isEmpty();
    assertThat(store.dueHeads(later.plusSeconds(60), 1)).hasSize(1);
  }

  // ---------------------------------------------------------------- expiry notices

  @Test
  void expiringWithoutNotice_activeKeysExpiringWithinTheWindow_soonestFirst_untilNoticed() {
    Instant now = T0;
    ApiKeyRecord inTwoDays = key(KeyStatus.ACTIVE, now.plus(Duration.ofDays(2)), null);
    ApiKeyRecord inOneDay = key(KeyStatus.ACTIVE, now.plus(Duration.ofDays(1)), null);
    ApiKeyRecord atTheEdge = key(KeyStatus.ACTIVE, now.plus(Duration.ofDays(7)), null);
    ApiKeyRecord pastTheEdge =
        key(KeyStatus.ACTIVE, now.plus(Duration.ofDays(7)).plusMillis(1), null);
    insert(
        inTwoDays,
        inOneDay,
        atTheEdge,
        pastTheEdge,
        key(KeyStatus.ACTIVE, now, null), // already expired
        key(KeyStatus.ACTIVE, null, null),
        key(KeyStatus.DISABLED, now.plus(Duration.ofDays(1)), null),
        key(KeyStatus.REVOKED, now.plus(Duration.ofDays(1)), null),
        key(KeyStatus.ACTIVE, now.plus(Duration.ofDays(1)), now)); // revocation already due

    assertThat(store.expiringWithoutNotice(7, now, 10))
        .containsExactly(inOneDay, inTwoDays, atTheEdge);
    assertThat(store.expiringWithoutNotice(7, now, 1)).containsExactly(inOneDay);

    assertThat(
            store.recordExpiryNotice(inOneDay.keyId(), 7, List.of(30), notice(inOneDay, now), now))
        .isTrue();
    assertThat(store.expiringWithoutNotice(7, now, 10)).containsExactly(inTwoDays, atTheEdge);
    assertThat(store.expiringWithoutNotice(30, now, 10))
        .containsExactly(inTwoDays, atTheEdge, pastTheEdge);
    assertThat(store.expiringWithoutNotice(1, now, 10)).containsExactly(inOneDay);
  }

  @Test
  void expiredWithoutNotice_activeKeysPastExpiry_untilTheExpiredNotice() {
    Instant now = T0;
    ApiKeyRecord expired = key(KeyStatus.ACTIVE, now.minusSeconds(10), null);
    ApiKeyRecord justNow = key(KeyStatus.ACTIVE, now, null);
    insert(
        expired,
        justNow,
        key(KeyStatus.ACTIVE, now.plusMillis(1), null),
        key(KeyStatus.REVOKED, now.minusSeconds(10), null),
        key(KeyStatus.ACTIVE, now.minusSeconds(10), now.minusSeconds(20)));

    assertThat(store.expiredWithoutNotice(now, 10)).containsExactly(expired, justNow);

    assertThat(store.recordExpiryNotice(expired.keyId(), 0, List.of(), notice(expired, now), now))
        .isTrue();
    assertThat(store.expiredWithoutNotice(now, 10)).containsExactly(justNow);
  }

  @Test
  void recordExpiryNotice_once_withItsEvent_concurrentNodesRecordItOnce() throws Exception {
    ApiKeyRecord k = key(KeyStatus.ACTIVE, T0.plus(Duration.ofDays(1)), null);
    insert(k);

    List<Boolean> won =
        race(() -> store.recordExpiryNotice(k.keyId(), 7, List.of(30, 14), notice(k, T0), T0));

    assertThat(won).containsOnlyOnce(true);
    assertThat(keys.outbox(null, k.keyId(), 50)).hasSize(1);
    assertThat(store.recordExpiryNotice(k.keyId(), 14, List.of(), notice(k, T0), T0))
        .as("a suppressed threshold counts as done")
        .isFalse();
    assertThat(keys.outbox(null, k.keyId(), 50)).hasSize(1);
  }

  // ---------------------------------------------------------------- fixtures

  /** Writes {@code n} events of {@code owner}, due {@code step} ms apart from T0, dispatched. */
  private void pending(String owner, int n, long step) {
    for (int i = 0; i < n; i++) {
      String eventId = "evt_" + owner + "_" + i;
      Instant at = T0.plusMillis(i * step);
      enqueue(eventId, owner, at);
      Delivery d =
          Delivery.pending("dlv_" + owner + "_" + i, eventId, owner, "ch_1", "webhook", at);
      assertThat(store.dispatch(eventId, List.of(d), at)).isTrue();
    }
  }

  private OutboxEvent enqueue(String eventId, String owner, Instant at) {
    OutboxEvent e =
        new OutboxEvent(eventId, EventTypes.KEY_CREATED, owner, null, at, Map.of("n", 1));
    keys.inTransaction(
        tx -> {
          tx.enqueueEvent(e);
          return null;
        });
    return e;
  }

  private static ApiKeyRecord key(KeyStatus status, Instant expiresAt, Instant revokesAt) {
    Instant created = T0.minus(Duration.ofDays(30));
    return TestKeys.key(
        "key_" + hex(12),
        created,
        k -> {
          k.owner = "acme";
          k.status = status;
          k.expiresAt = expiresAt;
          k.revokesAt = revokesAt;
        });
  }

  private static OutboxEvent notice(ApiKeyRecord k, Instant at) {
    return new OutboxEvent(
        "evt_" + hex(8), EventTypes.KEY_EXPIRING, k.ownerId(), k.keyId(), at, Map.of());
  }

  private static AuditEntry audit(String action, Instant at) {
    return new AuditEntry(at, "admin:ops", action, null, null, null, Map.of());
  }

  private List<String> auditActions() {
    return keys.audit(new AuditQuery(null, null, 50, null)).stream()
        .map(e -> e.entry().action())
        .toList();
  }

  private List<String> eventIds(EventQuery q) {
    return store.events(q).items().stream().map(e -> e.event().eventId()).toList();
  }

  private static List<String> ownerIds(List<StoredOwner> owners) {
    return owners.stream().map(StoredOwner::ownerId).toList();
  }
}
