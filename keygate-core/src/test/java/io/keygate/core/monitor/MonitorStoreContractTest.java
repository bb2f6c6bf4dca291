package io.keygate.core.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.keygate.core.events.OutboxEvent;
import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.LeakAction;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.RateLimit;
import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.ManualClock;
import io.keygate.core.testing.StoreContract;
import io.keygate.core.testing.TestKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link MonitorStore} must show. A store module extends this class and
 * supplies a fresh {@link KeyStore} (used to seed keys, events and incidents) and the monitor store
 * over the same database. Times have millisecond precision; no key material is involved.
 */
public abstract class MonitorStoreContractTest extends StoreContract<MonitorStore> {
  /** The fixed "current time". */
  protected static final Instant NOW = new ManualClock().instant();

  private static final Instant T0 = Instant.parse("2026-02-01T10:00:00Z");

  // ---------------------------------------------------------------- usage

  @Test
  void addUsage_sumsTheSameKeyMinuteAndOutcome_acrossBatches_truncatingToTheMinute() {
    store.addUsage(
        List.of(
            new UsageCount("key_a", T0.plusSeconds(5), "valid", 3),
            new UsageCount("key_a", T0.plusSeconds(59), "valid", 4),
            new UsageCount("key_a", T0, "rate_limited", 1)));
    store.addUsage(List.of(new UsageCount("key_a", T0.plusMillis(1), "valid", 10)));

    assertThat(store.usage("key_a", T0, T0.plusSeconds(60), Duration.ofMinutes(1)))
        .containsExactly(
            new UsageCount("key_a", T0, "rate_limited", 1),
            new UsageCount("key_a", T0, "valid", 17));
  }

  @Test
  void addUsage_empty_writesNothing() {
    store.addUsage(List.of());

    assertThat(store.totalUsage(Instant.EPOCH, T0.plus(Duration.ofDays(365)), null)).isZero();
  }

  @Test
  void usage_bucketsPerIntervalAndOutcome_inTimeOrder_halfOpenRange_ofOneKeyOnly() {
    store.addUsage(
        List.of(
            new UsageCount("key_a", T0.minusSeconds(60), "valid", 100), // before the range
            new UsageCount("key_a", T0, "valid", 1),
            new UsageCount("key_a", T0.plusSeconds(60), "valid", 2),
            new UsageCount("key_a", T0.plusSeconds(120), "denied", 5),
            new UsageCount("key_a", T0.plusSeconds(3600), "valid", 7),
            new UsageCount("key_a", T0.plusSeconds(7200), "valid", 1000), // the exclusive end
            new UsageCount("key_b", T0, "valid", 50)));

    assertThat(store.usage("key_a", T0, T0.plusSeconds(7200), Duration.ofHours(1)))
        .containsExactly(
            new UsageCount("key_a", T0, "denied", 5),
            new UsageCount("key_a", T0, "valid", 3),
            new UsageCount("key_a", T0.plusSeconds(3600), "valid", 7));
    assertThat(store.usage("key_c", T0, T0.plusSeconds(7200), Duration.ofHours(1))).isEmpty();
  }

  @Test
  void usage_bucketBelowAMinute_isIllegalArgument() {
    assertThatThrownBy(() -> store.usage("key_a", T0, T0.plusSeconds(60), Duration.ofSeconds(59)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void totalUsage_overEveryKey_perOutcomeOrAll_halfOpenRange() {
    store.addUsage(
        List.of(
            new UsageCount("key_a", T0, "valid", 1),
            new UsageCount("key_b", T0.plusSeconds(60), "valid", 2),
            new UsageCount("key_b", T0.plusSeconds(60), "denied", 4),
            new UsageCount("key_c", T0.plusSeconds(120), "valid", 8)));

    assertThat(store.totalUsage(T0, T0.plusSeconds(120), null)).isEqualTo(7);
    assertThat(store.totalUsage(T0, T0.plusSeconds(121), "valid")).isEqualTo(11);
    assertThat(store.totalUsage(T0, T0.plusSeconds(121), "unknown")).isZero();
  }

  @Test
  void addUsage_concurrentBatchesOnTheSameRows_loseNothing() throws Exception {
    int rounds = 20;
    race(
        () -> {
          for (int i = 0; i < rounds; i++) {
            store.addUsage(
                List.of(
                    new UsageCount("key_b", T0, "valid", 1),
                    new UsageCount("key_a", T0, "valid", 1)));
          }
          return null;
        });

    assertThat(store.totalUsage(T0, T0.plusSeconds(60), "valid")).isEqualTo(2L * THREADS * rounds);
  }

  // ---------------------------------------------------------------- events

  @Test
  void countEvents_ofOneType_sinceInclusive() {
    keys.inTransaction(
        tx -> {
          tx.enqueueEvent(event("key.created", T0.minusMillis(1)));
          tx.enqueueEvent(event("key.created", T0));
          tx.enqueueEvent(event("key.created", T0.plusSeconds(5)));
          tx.enqueueEvent(event("key.revoked", T0.plusSeconds(5)));
          return null;
        });

    assertThat(store.countEvents("key.created", T0)).isEqualTo(2);
    assertThat(store.countEvents("key.revoked", T0)).isEqualTo(1);
    assertThat(store.countEvents("key.leaked", Instant.EPOCH)).isZero();
  }

  // ---------------------------------------------------------------- keys

  @Test
  void keyStats_countOnlyKeysActiveAtNow_notAdminTokens() {
    Instant past = NOW.minusSeconds(1);
    Instant future = NOW.plusSeconds(3600);
    insert(
        key("live_secret", KeyStatus.ACTIVE, null, null, 1, List.of(), List.of()),
        key("live_secret", KeyStatus.ACTIVE, future, null, 2, List.of("10.0.0.0/8"), List.of()),
        key("test_secret", KeyStatus.ACTIVE, null, future, 2, List.of(), limit()),
        // not active at NOW
        key("live_secret", KeyStatus.ACTIVE, NOW, null, 1, List.of(), List.of()),
        key("live_secret", KeyStatus.ACTIVE, null, past, 1, List.of(), List.of()),
        key("live_secret", KeyStatus.DISABLED, null, null, 1, List.of(), List.of()),
        key("live_secret", KeyStatus.REVOKED, null, null, 1, List.of(), List.of()),
        key("admin", KeyStatus.ACTIVE, null, null, 3, List.of(), List.of()));

    assertThat(store.keyStats(NOW)).isEqualTo(new KeyStats(3, 1, 1, 1, Map.of(1, 1L, 2, 2L)));
  }

  @Test
  void keyStats_ofAnEmptyStore_isZero() {
    assertThat(store.keyStats(NOW)).isEqualTo(new KeyStats(0, 0, 0, 0, Map.of()));
  }

  @Test
  void keysByPepperVersion_liveOnly_leavesOutRevokedDueExpiredAndImported_keepsAdminTokens() {
    Instant past = NOW.minusSeconds(1);
    insert(
        key("live_secret", KeyStatus.ACTIVE, null, null, 1, List.of(), List.of()),
        key("live_secret", KeyStatus.DISABLED, null, null, 2, List.of(), List.of()),
        key("admin", KeyStatus.ACTIVE, null, null, 3, List.of(), List.of()),
        key("live_secret", KeyStatus.REVOKED, null, null, 1, List.of(), List.of()),
        key("live_secret", KeyStatus.ACTIVE, past, null, 1, List.of(), List.of()),
        key("live_secret", KeyStatus.ACTIVE, null, past, 2, List.of(), List.of()));
    ApiKeyRecord imported =
        key("live_secret", KeyStatus.ACTIVE, null, null, 1, List.of(), List.of());
    ApiKeyRecord placeholder = imported.withHash("imported:" + hex(20), 1, NOW);
    keys.inTransaction(
        tx -> {
          tx.insertImportedKey(placeholder, hex(32), "acme_");
          return null;
        });

    assertThat(store.keysByPepperVersion(NOW, true))
        .containsExactly(entry(1, 1L), entry(2, 1L), entry(3, 1L));
    assertThat(store.keysByPepperVersion(NOW, false))
        .containsExactly(entry(1, 4L), entry(2, 2L), entry(3, 1L));
  }

  // ---------------------------------------------------------------- leaks

  @Test
  void leakStats_fromIncidentsReportedSince_withTimeToRevocation_perOwnerOrAll() {
    keys.inTransaction(
        tx -> {
          tx.insertIncident(
              incident("github", "acme", T0.minusSeconds(1), T0.minusSeconds(1), null));
          tx.insertIncident(incident("github", "acme", T0, T0, T0.plusMillis(1000)));
          tx.insertIncident(incident("github", "acme", T0, T0.plusSeconds(1), T0.plusMillis(3000)));
          tx.insertIncident(incident("manual", "other", T0, T0.plusSeconds(2), null));
          return null;
        });

    LeakStats stats = store.leakStats(T0);

    assertThat(stats.total()).isEqualTo(3);
    assertThat(stats.bySource()).containsOnly(entry("github", 2L), entry("manual", 1L));
    assertThat(stats.exposedKeys()).isEqualTo(3);
    assertThat(stats.testKeys()).isEqualTo(1);
    assertThat(stats.revoked()).isEqualTo(2);
    assertThat(stats.exposureToRevocation()).isEqualTo(new LeakStats.Figures(2, 2000.0, 3000));
    assertThat(stats.reportToRevocation()).isEqualTo(new LeakStats.Figures(2, 1500.0, 2000));
    assertThat(stats.avgMillisToRevocation()).isEqualTo(2000.0);
    assertThat(stats.basis()).isEqualTo("leak_incidents");

    LeakStats other = store.leakStats(T0, "other");
    assertThat(other.total()).isEqualTo(1);
    assertThat(other.bySource()).containsOnly(entry("manual", 1L));
    assertThat(other.revoked()).isZero();
    assertThat(store.leakStats(T0, "nobody").total()).isZero();
  }

  @Test
  void leakStats_withNoIncidents_isZeroWithNoAverage() {
    LeakStats stats = store.leakStats(Instant.EPOCH);

    assertThat(stats.total()).isZero();
    assertThat(stats.bySource()).isEmpty();
    assertThat(stats.revoked()).isZero();
    assertThat(stats.avgMillisToRevocation()).isEqualTo(-1.0);
  }

  // ---------------------------------------------------------------- report settings

  @Test
  void reportSettings_noneUntilRecorded_thenTheLastRecordWins() {
    assertThat(store.reportSettings()).isEmpty();

    RecordedSettings first = new RecordedSettings("host-a (node-1)", T0, "{\"platform\":\"A\"}");
    store.recordReportSettings(first);
    assertThat(store.reportSettings()).contains(first);

    RecordedSettings second =
        new RecordedSettings("host-b (node-2)", T0.plusSeconds(60), "{\"platform\":\"B\"}");
    store.recordReportSettings(second);
    assertThat(store.reportSettings()).contains(second);
  }

  // ---------------------------------------------------------------- fixtures

  private static List<RateLimit> limit() {
    return List.of(new RateLimit("default", 10, Duration.ofMinutes(1)));
  }

  private static ApiKeyRecord key(
      String type,
      KeyStatus status,
      Instant expiresAt,
      Instant revokesAt,
      int pepperVersion,
      List<String> allowlist,
      List<RateLimit> limits) {
    return TestKeys.key(
        "key_" + hex(12),
        NOW.minus(Duration.ofDays(1)),
        k -> {
          k.type = type;
          k.pepperVersion = pepperVersion;
          k.settings = new KeySettings("k", List.of("read"), allowlist, limits, Map.of());
          k.status = status;
          k.expiresAt = expiresAt;
          k.revokesAt = revokesAt;
        });
  }

  private static OutboxEvent event(String type, Instant at) {
    return new OutboxEvent("evt_" + hex(10), type, "owner", "key_" + hex(6), at, Map.of());
  }

  /** A live key's incident, revoked at {@code revokedAt}; without one, a test key recorded. */
  private static LeakIncident incident(
      String source, String owner, Instant exposedAt, Instant reportedAt, Instant revokedAt) {
    return new LeakIncident(
        "inc_" + hex(10),
        hex(32),
        "key_" + hex(6),
        owner,
        "live_secret",
        null,
        source,
        null,
        exposedAt,
        reportedAt,
        revokedAt,
        revokedAt == null ? LeakAction.TEST_KEY_RECORDED : LeakAction.REVOKED,
        source,
        Exposure.EXPOSED,
        revokedAt != null);
  }
}
