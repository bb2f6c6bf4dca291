package io.keygate.core.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.model.Page;
import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.StoreContract;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link AnomalyStore} must show. A store module extends this class and
 * supplies a fresh {@link KeyStore} and the anomaly store over the same database (alerts write to
 * its outbox and audit log). Times have millisecond precision; no key material is involved.
 */
public abstract class AnomalyStoreContractTest extends StoreContract<AnomalyStore> {
  private static final Instant T0 = Instant.parse("2026-02-01T10:00:00Z");

  // ---------------------------------------------------------------- raise

  @Test
  void raise_storesOncePerKeyTypeAndWindow_withItsEventOnlyWhenNew() {
    Alert first = alert("key_a", Alert.TRAFFIC_SPIKE, T0, T0.plusSeconds(1));
    Alert again = alert("key_a", Alert.TRAFFIC_SPIKE, T0, T0.plusSeconds(2));

    assertThat(store.raise(first, event("key_a", first.createdAt()))).isTrue();
    assertThat(store.raise(again, event("key_a", again.createdAt()))).isFalse();

    assertThat(store.alert(first.alertId())).contains(first);
    assertThat(store.alert(again.alertId())).isEmpty();
    assertThat(keys.outbox(null, "key_a", 10)).hasSize(1);
    // another window, type or key is another alert
    assertThat(store.raise(alert("key_a", Alert.TRAFFIC_SPIKE, T0.plusSeconds(60), T0), null))
        .isTrue();
    assertThat(store.raise(alert("key_a", Alert.NEW_NETWORK, T0, T0), null)).isTrue();
    assertThat(store.raise(alert("key_b", Alert.TRAFFIC_SPIKE, T0, T0), null)).isTrue();
    assertThat(keys.outbox(null, "key_a", 10)).hasSize(1);
  }

  @Test
  void raise_withoutKey_readsBackNull_andDeduplicatesToo() {
    Alert brute = alert(null, Alert.BRUTE_FORCE, T0, T0);

    assertThat(store.raise(brute, null)).isTrue();
    assertThat(store.raise(alert(null, Alert.BRUTE_FORCE, T0, T0), null)).isFalse();

    assertThat(store.alert(brute.alertId())).contains(brute);
    assertThat(store.alert(brute.alertId()).orElseThrow().keyId()).isNull();
  }

  @Test
  void raise_concurrentlyFromManyNodes_storesTheAlertOnce() throws Exception {
    List<Boolean> results =
        race(() -> store.raise(alert("key_a", Alert.DENIAL_BURST, T0, T0), event("key_a", T0)));

    assertThat(results).containsOnlyOnce(true);
    assertThat(store.alerts(new AlertQuery(null, "key_a", null, 50, null)).items()).hasSize(1);
    assertThat(keys.outbox(null, "key_a", 50)).hasSize(1);
  }

  @Test
  void alert_roundTripsEveryField_includingNestedDetails() {
    Alert full =
        new Alert(
            "alr_" + hex(8),
            "key_a",
            "owner-1",
            Alert.NEW_NETWORK,
            T0,
            Alert.OPEN,
            Map.of("network", "10.0.0.0/24", "count", 3, "nested", Map.of("k", List.of("v"))),
            T0.plusMillis(7),
            null,
            null);
    store.raise(full, null);

    assertThat(store.alert(full.alertId())).contains(full);
    assertThat(store.alert("alr_absent")).isEmpty();
  }

  // ---------------------------------------------------------------- listing

  @Test
  void alerts_newestFirst_tiesByIdDescending_pagedWithoutGapsOrRepeats() {
    List<Alert> all = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      // pairs share a creation time, so the id tie-break decides
      Alert a = alert("key_" + i, Alert.TRAFFIC_SPIKE, T0, T0.plusSeconds(i / 2));
      store.raise(a, null);
      all.add(a);
    }
    all.sort(
        (x, y) ->
            x.createdAt().equals(y.createdAt())
                ? y.alertId().compareTo(x.alertId())
                : y.createdAt().compareTo(x.createdAt()));

    List<Alert> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Page<Alert> page = store.alerts(new AlertQuery(null, null, null, 3, cursor));
      seen.addAll(page.items());
      cursor = page.nextCursor();
      pages++;
    } while (cursor != null);

    assertThat(seen).containsExactlyElementsOf(all);
    assertThat(pages).isEqualTo(3);
  }

  @Test
  void alerts_exactlyOnePageFull_hasNoNextCursor() {
    store.raise(alert("key_a", Alert.TRAFFIC_SPIKE, T0, T0), null);
    store.raise(alert("key_b", Alert.TRAFFIC_SPIKE, T0, T0.plusSeconds(1)), null);

    Page<Alert> page = store.alerts(new AlertQuery(null, null, null, 2, null));

    assertThat(page.items()).hasSize(2);
    assertThat(page.nextCursor()).isNull();
    assertThat(store.alerts(new AlertQuery(null, null, null, 1, null)).nextCursor()).isNotNull();
  }

  @Test
  void alerts_filteredByStatusKeyAndOwner() {
    Alert a = alert("key_a", Alert.TRAFFIC_SPIKE, T0, T0);
    Alert b = alert("key_b", Alert.TRAFFIC_SPIKE, T0, T0.plusSeconds(1));
    Alert c =
        new Alert(
            "alr_" + hex(8), "key_c", "other", Alert.CANARY, T0, Alert.OPEN, null, T0, null, null);
    store.raise(a, null);
    store.raise(b, null);
    store.raise(c, null);
    store.acknowledge(b.alertId(), ack(T0.plusSeconds(9)));

    assertThat(ids(new AlertQuery(Alert.OPEN, null, null, 50, null)))
        .containsExactlyInAnyOrder(a.alertId(), c.alertId());
    assertThat(ids(new AlertQuery(Alert.ACKNOWLEDGED, null, null, 50, null)))
        .containsExactly(b.alertId());
    assertThat(ids(new AlertQuery(null, "key_a", null, 50, null))).containsExactly(a.alertId());
    assertThat(ids(new AlertQuery(null, null, "other", 50, null))).containsExactly(c.alertId());
    assertThat(ids(new AlertQuery(Alert.OPEN, "key_b", "owner", 50, null))).isEmpty();
  }

  @Test
  void alerts_badCursor_isIllegalArgument() {
    for (String bad : new String[] {"x", ".abc", "abc.def", "%%%", ""}) {
      assertThatThrownBy(() -> store.alerts(new AlertQuery(null, null, null, 10, bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  // ---------------------------------------------------------------- acknowledge

  @Test
  void acknowledge_marksAnOpenAlertOnce_andAuditsInTheSameTransaction() {
    Alert a = alert("key_a", Alert.TRAFFIC_SPIKE, T0, T0);
    store.raise(a, null);

    assertThat(store.acknowledge(a.alertId(), ack(T0.plusSeconds(5)))).isTrue();
    assertThat(store.acknowledge(a.alertId(), ack(T0.plusSeconds(6)))).isFalse();
    assertThat(store.acknowledge("alr_absent", ack(T0.plusSeconds(7)))).isFalse();

    Alert stored = store.alert(a.alertId()).orElseThrow();
    assertThat(stored.status()).isEqualTo(Alert.ACKNOWLEDGED);
    assertThat(stored.acknowledgedAt()).isEqualTo(T0.plusSeconds(5));
    assertThat(stored.acknowledgedBy()).isEqualTo("admin:ops");
    assertThat(keys.audit(new AuditQuery(null, null, 10, null)))
        .singleElement()
        .satisfies(e -> assertThat(e.entry().at()).isEqualTo(T0.plusSeconds(5)));
  }

  @Test
  void acknowledge_concurrently_changesAndAuditsOnce() throws Exception {
    Alert a = alert("key_a", Alert.TRAFFIC_SPIKE, T0, T0);
    store.raise(a, null);

    List<Boolean> results = race(() -> store.acknowledge(a.alertId(), ack(T0.plusSeconds(5))));

    assertThat(results).containsOnlyOnce(true);
    assertThat(keys.audit(new AuditQuery(null, null, 50, null))).hasSize(1);
  }

  // ---------------------------------------------------------------- networks and grants

  @Test
  void addNetworks_widensFirstAndLastSeen_perKey() {
    store.addNetworks(
        List.of(
            new NetworkSeen("key_a", "10.0.0.0/24", T0, T0.plusSeconds(10)),
            new NetworkSeen("key_a", "2001:db8::/48", T0.plusSeconds(1), T0.plusSeconds(1)),
            new NetworkSeen("key_b", "10.0.0.0/24", T0.plusSeconds(2), T0.plusSeconds(2))));
    store.addNetworks(
        List.of(
            new NetworkSeen("key_a", "10.0.0.0/24", T0.minusSeconds(5), T0.plusSeconds(1)),
            new NetworkSeen("key_a", "2001:db8::/48", T0.plusSeconds(9), T0.plusSeconds(9))));
    store.addNetworks(List.of());

    assertThat(store.networks("key_a"))
        .containsOnly(
            entry("10.0.0.0/24", T0.minusSeconds(5)), entry("2001:db8::/48", T0.plusSeconds(1)));
    assertThat(store.networks("key_b")).containsOnly(entry("10.0.0.0/24", T0.plusSeconds(2)));
    assertThat(store.networks("key_c")).isEmpty();
  }

  @Test
  void addGrantUse_keepsTheLatestUse_sortedByKindAndValue() {
    store.addGrantUse(
        List.of(
            new GrantUse("key_a", GrantUse.SCOPE, "write", T0.plusSeconds(5)),
            new GrantUse("key_a", GrantUse.SCOPE, "read", T0),
            new GrantUse("key_a", GrantUse.IP, "10.0.0.1", T0),
            new GrantUse("key_b", GrantUse.SCOPE, "read", T0)));
    store.addGrantUse(
        List.of(
            new GrantUse("key_a", GrantUse.SCOPE, "write", T0.plusSeconds(1)),
            new GrantUse("key_a", GrantUse.SCOPE, "read", T0.plusSeconds(8))));
    store.addGrantUse(List.of());

    assertThat(store.grantUse("key_a"))
        .containsExactly(
            new GrantUse("key_a", GrantUse.IP, "10.0.0.1", T0),
            new GrantUse("key_a", GrantUse.SCOPE, "read", T0.plusSeconds(8)),
            new GrantUse("key_a", GrantUse.SCOPE, "write", T0.plusSeconds(5)));
    assertThat(store.grantUse("key_c")).isEmpty();
  }

  @Test
  void addNetworksAndGrantUse_concurrentOverlappingBatches_doNotDeadlockOrLoseRows()
      throws Exception {
    race(
        () -> {
          List<NetworkSeen> nets = new ArrayList<>();
          List<GrantUse> uses = new ArrayList<>();
          for (int k = 0; k < 5; k++) {
            nets.add(new NetworkSeen("key_" + k, "10.0.0.0/24", T0, T0));
            uses.add(new GrantUse("key_" + k, GrantUse.SCOPE, "read", T0));
          }
          Collections.shuffle(nets);
          Collections.shuffle(uses);
          store.addNetworks(nets);
          store.addGrantUse(uses);
          return true;
        });

    for (int k = 0; k < 5; k++) {
      assertThat(store.networks("key_" + k)).containsOnlyKeys("10.0.0.0/24");
      assertThat(store.grantUse("key_" + k)).hasSize(1);
    }
  }

  // ---------------------------------------------------------------- brute force

  @Test
  void bruteForceBlocks_onlyKeylessBruteForceEvents_sinceInclusive_oldestFirst_limited() {
    OutboxEvent before = anomaly(null, "brute_force", T0.minusMillis(1));
    OutboxEvent first = anomaly(null, "brute_force", T0);
    OutboxEvent second = anomaly(null, "brute_force", T0.plusSeconds(1));
    OutboxEvent third = anomaly(null, "brute_force", T0.plusSeconds(2));
    keys.inTransaction(
        tx -> {
          tx.enqueueEvent(third);
          tx.enqueueEvent(before);
          tx.enqueueEvent(second);
          tx.enqueueEvent(first);
          tx.enqueueEvent(anomaly("key_a", "brute_force", T0.plusSeconds(1)));
          tx.enqueueEvent(
              new OutboxEvent(
                  "evt_" + hex(8), "key.created", null, null, T0, Map.of("kind", "brute_force")));
          return null;
        });

    assertThat(store.bruteForceBlocks(T0, 10)).containsExactly(first, second, third);
    assertThat(store.bruteForceBlocks(T0, 2)).containsExactly(first, second);
    assertThat(store.bruteForceBlocks(T0.plusSeconds(3), 10)).isEmpty();
  }

  // ---------------------------------------------------------------- fixtures

  private List<String> ids(AlertQuery q) {
    return store.alerts(q).items().stream().map(Alert::alertId).toList();
  }

  private static Alert alert(String keyId, String type, Instant window, Instant createdAt) {
    return new Alert(
        "alr_" + hex(8),
        keyId,
        "owner",
        type,
        window,
        Alert.OPEN,
        Map.of("observed", 42),
        createdAt,
        null,
        null);
  }

  private static OutboxEvent event(String keyId, Instant at) {
    return new OutboxEvent(
        "evt_" + hex(8), "anomaly.detected", "owner", keyId, at, Map.of("kind", "traffic_spike"));
  }

  private static OutboxEvent anomaly(String keyId, String kind, Instant at) {
    return new OutboxEvent(
        "evt_" + hex(8), "anomaly.detected", null, keyId, at, Map.of("kind", kind));
  }

  private static AuditEntry ack(Instant at) {
    return new AuditEntry(at, "admin:ops", "alert.acknowledged", null, null, null, Map.of());
  }
}
