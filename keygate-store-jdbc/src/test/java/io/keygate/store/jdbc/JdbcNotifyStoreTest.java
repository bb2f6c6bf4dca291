package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.notify.Delivery;
import io.keygate.core.notify.DeliveryStatus;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.store.KeyStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fair claiming of deliveries ({@link NotifyStore#dueHeads}, {@link NotifyStore#claim}) on SQLite
 * and PostgreSQL: one head per owner, nothing for an owner with a delivery in flight, and at most
 * one lease per owner however many workers race for it.
 */
class JdbcNotifyStoreTest {
  private static final List<String> SCHEMAS = new CopyOnWriteArrayList<>();
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir static Path tmp;

  static Stream<String> stores() {
    return Stream.of("sqlite", "postgresql");
  }

  private static KeyStore open(String kind) throws Exception {
    if (kind.equals("sqlite")) {
      return JdbcStores.sqlite(java.nio.file.Files.createTempDirectory(tmp, "data")).build();
    }
    TestPostgres pg = TestPostgres.get();
    String schema = pg.newSchema();
    SCHEMAS.add(schema);
    return pg.builder(schema).build();
  }

  @AfterAll
  static void dropSchemas() {
    SCHEMAS.forEach(TestPostgres.get()::dropSchema);
  }

  /** Writes {@code n} events of {@code owner}, due {@code step} ms apart from T0, dispatched. */
  private static void pending(KeyStore ks, NotifyStore ns, String owner, int n, long step) {
    for (int i = 0; i < n; i++) {
      String eventId = "evt_" + owner + "_" + i;
      Instant at = T0.plusMillis(i * step);
      ks.inTransaction(
          tx -> {
            tx.enqueueEvent(
                new OutboxEvent(eventId, EventTypes.KEY_CREATED, owner, null, at, Map.of()));
            return null;
          });
      Delivery d =
          Delivery.pending("dlv_" + owner + "_" + i, eventId, owner, "ch_1", "webhook", at);
      assertThat(ns.dispatch(eventId, List.of(d), at)).isTrue();
    }
  }

  @ParameterizedTest
  @MethodSource("stores")
  void dueHeads_oneOldestPerOwner_andNoneForAnOwnerWithADeliveryInFlight(String kind)
      throws Exception {
    try (KeyStore ks = open(kind)) {
      NotifyStore ns = JdbcExtensions.notifyStore(ks).orElseThrow();
      pending(ks, ns, "busy", 50, 1);
      pending(ks, ns, "quiet", 1, 0);
      Instant now = T0.plusSeconds(60);

      List<Delivery> heads = ns.dueHeads(now, 10);
      assertThat(heads)
          .extracting(Delivery::deliveryId)
          .containsExactly("dlv_busy_0", "dlv_quiet_0");

      Delivery leased = ns.claim(heads.get(0), now, now.plusSeconds(30)).orElseThrow();
      assertThat(leased.leaseToken()).isNotNull();
      assertThat(ns.dueHeads(now, 10))
          .as("the busy owner has one in flight: none of its 49 others is offered")
          .extracting(Delivery::deliveryId)
          .containsExactly("dlv_quiet_0");
      assertThat(ns.dueHeads(T0.minusMillis(1), 10)).as("nothing is due yet").isEmpty();
      Delivery busyNext =
          Delivery.pending("dlv_busy_1", "evt_busy_1", "busy", "ch_1", "webhook", T0);
      assertThat(ns.claim(busyNext, now, now.plusSeconds(30)))
          .as("a second lease of the busy owner is refused")
          .isEmpty();
      assertThat(ns.claim(heads.get(1), now, now.plusSeconds(30))).isPresent();
      assertThat(ns.claim(heads.get(1), now, now.plusSeconds(30)))
          .as("a head is leased once")
          .isEmpty();

      // the attempt ends: the owner's next delivery becomes its head
      assertThat(ns.finish(leased.attempted(DeliveryStatus.DELIVERED, null, null, 200, now)))
          .isTrue();
      assertThat(ns.dueHeads(now, 10))
          .extracting(Delivery::deliveryId)
          .containsExactly("dlv_busy_1");

      // an expired lease (a node died mid-attempt) frees the owner again
      Delivery stuck = ns.claim(ns.dueHeads(now, 10).get(0), now, now.plusSeconds(5)).orElseThrow();
      assertThat(ns.dueHeads(now.plusSeconds(4), 10)).isEmpty();
      assertThat(ns.dueHeads(now.plusSeconds(5), 10))
          .extracting(Delivery::deliveryId)
          .containsExactly(stuck.deliveryId());
    }
  }

  @ParameterizedTest
  @MethodSource("stores")
  void claim_eightWorkersRacingForOneOwnersHeads_leaseExactlyOne(String kind) throws Exception {
    try (KeyStore ks = open(kind)) {
      NotifyStore ns = JdbcExtensions.notifyStore(ks).orElseThrow();
      pending(ks, ns, "acme", 8, 0);
      Instant now = T0.plusSeconds(1);
      // every worker tries a different row of the same owner at the same moment
      List<Delivery> rows = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        rows.add(Delivery.pending("dlv_acme_" + i, "evt_acme_" + i, "acme", "ch_1", "webhook", T0));
      }
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        for (int round = 0; round < 5; round++) {
          CountDownLatch go = new CountDownLatch(1);
          List<Future<Optional<Delivery>>> results = new ArrayList<>();
          for (Delivery r : rows) {
            results.add(
                pool.submit(
                    () -> {
                      go.await();
                      return ns.claim(r, now, now.plusSeconds(30));
                    }));
          }
          go.countDown();
          List<Delivery> won = new ArrayList<>();
          for (Future<Optional<Delivery>> f : results) {
            f.get().ifPresent(won::add);
          }
          assertThat(won).as("round %d", round).hasSize(1);
          Delivery w = won.get(0);
          assertThat(ns.finish(w.attempted(DeliveryStatus.DELIVERED, null, null, 200, now)))
              .isTrue();
          rows.removeIf(r -> r.deliveryId().equals(w.deliveryId()));
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
