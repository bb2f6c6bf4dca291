package io.keygate.core.response;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.Keygate;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.Pepper;
import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakAction;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.leaks.LeakLocation;
import io.keygate.core.leaks.LeakPolicy;
import io.keygate.core.leaks.LeakReport;
import io.keygate.core.leaks.LeakResult;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.KeyImporter;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.monitor.LeakStats;
import io.keygate.core.testing.InMemoryKeyStore;
import io.keygate.core.testing.TestKeys;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.VerifyRequest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeakResponderTest {
  private final InMemoryKeyStore store = new InMemoryKeyStore();

  private Keygate keygate(LeakPolicy policy) {
    return Keygate.builder()
        .store(store)
        .pepper(new Pepper(1, new byte[32]))
        .leakPolicy(policy)
        .build();
  }

  /** The practice guide's format: {@code sk_live_} + Python's {@code token_urlsafe(32)}. */
  static String guideKey() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return "sk_live_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private ApiKeyRecord importGuideKey(Keygate kg, String raw) {
    KeyImporter importer =
        new KeyImporter(
            store, kg.format(), kg.hasher(), kg.keys().policy(), kg.clock(), SecureRandom::new);
    ApiKeyRecord r =
        importer.importKey(TestKeys.imported(raw, "sk_live_", "owner_g", "migrated"), Actor.SYSTEM);
    kg.verifier().importedKeysChanged();
    return r;
  }

  private static LeakReport report(String raw, Exposure exposure, Instant exposedAt) {
    return new LeakReport(
        new ApiKeySecret(raw),
        "gitleaks",
        new LeakLocation(null, "app/settings.py", 3L, null),
        exposedAt,
        exposure);
  }

  private static Outcome verify(Keygate kg, String raw) {
    return kg.verifier().verify(VerifyRequest.of(raw)).outcome();
  }

  @Test
  void importedGuideKey_reported_isRevoked_evenAfterItWasRehashedByUse() {
    Keygate kg = keygate(LeakPolicy.REVOKE);
    String raw = guideKey();
    importGuideKey(kg, raw);
    assertThat(verify(kg, raw)).isEqualTo(Outcome.VALID); // first use re-hashes it
    kg.verifier().legacyKeys().refresh(); // as the server does periodically
    kg.verifier().invalidateAll();
    assertThat(verify(kg, raw)).isEqualTo(Outcome.VALID);

    LeakResult r = kg.leaks().respond(report(raw, Exposure.EXPOSED, null), Actor.SYSTEM, now(kg));

    assertThat(r.status()).isEqualTo(LeakResult.Status.RECORDED);
    assertThat(r.incident().action()).isEqualTo(LeakAction.REVOKED);
    assertThat(r.incident().liveKey()).isTrue();
    assertThat(verify(kg, raw)).isEqualTo(Outcome.KEY_REVOKED);
  }

  @Test
  void importedGuideKey_neverUsed_isRevoked_andLookAlikeWithItsPrefixIsUnknown() {
    Keygate kg = keygate(LeakPolicy.REVOKE);
    String raw = guideKey();
    importGuideKey(kg, raw);

    LeakResult r = kg.leaks().respond(report(raw, Exposure.EXPOSED, null), Actor.SYSTEM, now(kg));
    assertThat(r.incident().action()).isEqualTo(LeakAction.REVOKED);
    assertThat(verify(kg, raw)).isEqualTo(Outcome.KEY_REVOKED);

    LeakResult other =
        kg.leaks().respond(report(guideKey(), Exposure.EXPOSED, null), Actor.SYSTEM, now(kg));
    assertThat(other.status()).isEqualTo(LeakResult.Status.UNKNOWN);
    LeakResult garbage =
        kg.leaks()
            .respond(
                report("pk_x_" + "a".repeat(40), Exposure.EXPOSED, null), Actor.SYSTEM, now(kg));
    assertThat(garbage.status()).isEqualTo(LeakResult.Status.NOT_A_KEY);
  }

  @Test
  void preventedReport_keepsKeyValid_recordsIncident_andALaterExposureStillRevokes() {
    Keygate kg = keygate(LeakPolicy.REVOKE);
    String raw = kg.keys().create(create("live_secret"), Actor.SYSTEM).secret().reveal();

    LeakResult caught =
        kg.leaks().respond(report(raw, Exposure.PREVENTED, null), Actor.SYSTEM, now(kg));
    assertThat(caught.incident().action()).isEqualTo(LeakAction.PREVENTED_RECORDED);
    assertThat(caught.incident().exposure()).isEqualTo(Exposure.PREVENTED);
    assertThat(caught.incident().revokedAt()).isNull();
    assertThat(verify(kg, raw)).isEqualTo(Outcome.VALID);
    assertThat(store.outbox(null, caught.key().keyId(), 10))
        .anyMatch(e -> e.type().equals("key.leaked"));

    LeakResult repeat =
        kg.leaks().respond(report(raw, Exposure.PREVENTED, null), Actor.SYSTEM, now(kg));
    assertThat(repeat.status()).isEqualTo(LeakResult.Status.REPEAT);

    LeakResult exposed =
        kg.leaks().respond(report(raw, Exposure.EXPOSED, null), Actor.SYSTEM, now(kg));
    assertThat(exposed.incident().action()).isEqualTo(LeakAction.REVOKED);
    assertThat(verify(kg, raw)).isEqualTo(Outcome.KEY_REVOKED);
  }

  @Test
  void testKeys_recordedByDefault_revokedWhenThePolicySaysSo() {
    Keygate recordOnly = keygate(LeakPolicy.REVOKE);
    String raw = recordOnly.keys().create(create("test_secret"), Actor.SYSTEM).secret().reveal();
    LeakResult r =
        recordOnly
            .leaks()
            .respond(report(raw, Exposure.EXPOSED, null), Actor.SYSTEM, now(recordOnly));
    assertThat(r.incident().action()).isEqualTo(LeakAction.TEST_KEY_RECORDED);
    assertThat(r.incident().liveKey()).isFalse();
    assertThat(verify(recordOnly, raw)).isEqualTo(Outcome.VALID);

    Keygate revoking = keygate(new LeakPolicy(Map.of(), true));
    String raw2 = revoking.keys().create(create("test_secret"), Actor.SYSTEM).secret().reveal();
    LeakResult r2 =
        revoking.leaks().respond(report(raw2, Exposure.EXPOSED, null), Actor.SYSTEM, now(revoking));
    assertThat(r2.incident().action()).isEqualTo(LeakAction.REVOKED);
    assertThat(verify(revoking, raw2)).isEqualTo(Outcome.KEY_REVOKED);
  }

  @Test
  void exposedAt_isTheReportedTimestamp_neverLaterThanTheReport() {
    Keygate kg = keygate(LeakPolicy.REVOKE);
    String raw = kg.keys().create(create("live_secret"), Actor.SYSTEM).secret().reveal();
    Instant reportedAt = now(kg);
    Instant committed = reportedAt.minus(Duration.ofMinutes(7));
    LeakIncident i =
        kg.leaks()
            .respond(report(raw, Exposure.EXPOSED, committed), Actor.SYSTEM, reportedAt)
            .incident();
    assertThat(i.exposedAt()).isEqualTo(committed);
    assertThat(i.timeToRevocation()).isGreaterThanOrEqualTo(Duration.ofMinutes(7));
    assertThat(i.reportToRevocation()).isLessThan(Duration.ofMinutes(1));

    String raw2 = kg.keys().create(create("live_secret"), Actor.SYSTEM).secret().reveal();
    LeakIncident future =
        kg.leaks()
            .respond(
                report(raw2, Exposure.EXPOSED, reportedAt.plusSeconds(3600)),
                Actor.SYSTEM,
                reportedAt)
            .incident();
    assertThat(future.exposedAt()).isEqualTo(reportedAt);
  }

  @Test
  void stats_leaveCanariesTestKeysPreventedAndRepeatsOutOfTheAverages() {
    Keygate kg = keygate(LeakPolicy.REVOKE);
    Instant reportedAt = now(kg);
    String live = kg.keys().create(create("live_secret"), Actor.SYSTEM).secret().reveal();
    String test = kg.keys().create(create("test_secret"), Actor.SYSTEM).secret().reveal();
    String kept = kg.keys().create(create("live_secret"), Actor.SYSTEM).secret().reveal();
    String canary =
        kg.canaries().create("owner_g", "wiki", "live_secret", Actor.SYSTEM).secret().reveal();
    Instant tenMinutesAgo = reportedAt.minus(Duration.ofMinutes(10));
    kg.leaks().respond(report(live, Exposure.EXPOSED, tenMinutesAgo), Actor.SYSTEM, reportedAt);
    kg.leaks()
        .respond(
            new LeakReport(
                new ApiKeySecret(live),
                "github",
                new LeakLocation("https://github.com/o/r/blob/x/a.py", null, null, null),
                reportedAt.minus(Duration.ofDays(3))),
            Actor.SYSTEM,
            reportedAt); // a repeat elsewhere: the key was already revoked
    kg.leaks()
        .respond(
            report(test, Exposure.EXPOSED, reportedAt.minus(Duration.ofDays(9))),
            Actor.SYSTEM,
            reportedAt);
    kg.leaks()
        .respond(
            report(kept, Exposure.PREVENTED, reportedAt.minus(Duration.ofDays(9))),
            Actor.SYSTEM,
            reportedAt);
    kg.leaks()
        .respond(
            report(canary, Exposure.EXPOSED, reportedAt.minus(Duration.ofDays(9))),
            Actor.SYSTEM,
            reportedAt);

    LeakStats s =
        LeakStats.of(
            store.incidents(new IncidentQuery(null, null, 100, null)).items(), "leak_incidents");

    assertThat(s.total()).isEqualTo(5);
    assertThat(s.exposedKeys()).isEqualTo(2); // live + test; the canary is not a leaked key
    assertThat(s.preventedKeys()).isEqualTo(1);
    assertThat(s.canaryIncidents()).isEqualTo(1);
    assertThat(s.testKeys()).isEqualTo(1);
    assertThat(s.exposureToRevocation().count()).isEqualTo(1);
    assertThat(s.exposureToRevocation().meanMillis())
        .isBetween(600_000.0, 660_000.0); // ten minutes, not three or nine days
    assertThat(s.reportToRevocation().meanMillis()).isBetween(0.0, 60_000.0);
  }

  private static CreateKey create(String type) {
    return new CreateKey(type, "owner_g", "k", null, null, null, null, null);
  }

  private static Instant now(Keygate kg) {
    return kg.clock().instant().truncatedTo(ChronoUnit.MILLIS);
  }
}
