package io.keygate.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.monitor.GrantUse;
import io.keygate.core.testing.ManualClock;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.server.notify.Node;
import io.keygate.server.testing.KeygateServerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each anomaly kind is raised by its scripted traffic pattern and not by normal traffic, driven by
 * a manual clock against a real node; alerts are deduplicated, acknowledged and owner-restricted.
 */
class AnomalyDetectorTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final Actor TEST = new Actor("test", null, null);

  @TempDir Path dir;

  private record Key(String id, String secret) {}

  private static Key key(Node n, Object... extra) {
    List<Object> kv = new ArrayList<>(List.of("owner_id", "acme", "scopes", List.of("read")));
    kv.addAll(List.of(extra));
    JsonNode k = n.call("POST", "/v1/keys", Node.map(kv.toArray())).expect(201);
    return new Key(k.get("key_id").asText(), k.get("api_key").asText());
  }

  private static Outcome verify(Node n, Key k, String ip, String scope) {
    return n.server
        .keygate()
        .verifier()
        .verify(new VerifyRequest(k.secret(), ip, List.of(scope), "GET", "/x"))
        .outcome();
  }

  private static void traffic(Node n, Key k, String ip, int count) {
    for (int i = 0; i < count; i++) {
      assertThat(verify(n, k, ip, "read")).isEqualTo(Outcome.VALID);
    }
  }

  private static AnomalyDetector detector(Node n) {
    return n.monitoring().anomalies().orElseThrow();
  }

  private static List<String> types(Node n, String keyId) {
    List<String> out = new ArrayList<>();
    n.call("GET", "/v1/alerts?key_id=" + keyId, null)
        .expect(200)
        .get("data")
        .forEach(a -> out.add(a.get("type").asText()));
    return out;
  }

  private static Node node(Path dir, ManualClock clock) {
    return new Node(servers, dir, clock);
  }

  @Test
  void denialBurst_raisedPromptly_once_andNotByOccasionalDenials() {
    ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:30Z"));
    try (Node n = node(dir, clock)) {
      Key calm = key(n);
      Key noisy = key(n);
      for (int i = 0; i < 5; i++) {
        assertThat(verify(n, calm, "10.0.0.1", "admin")).isEqualTo(Outcome.INSUFFICIENT_SCOPE);
        clock.advance(Duration.ofSeconds(20));
      }
      // straddles a minute boundary: the 60-second window is sliding
      clock.set(Instant.parse("2030-01-01T00:10:50Z"));
      for (int i = 0; i < 30; i++) {
        verify(n, noisy, "10.0.0.1", "admin");
        clock.advance(Duration.ofMillis(500));
      }
      detector(n).tick();
      assertThat(types(n, noisy.id())).containsExactly("denial_burst");
      assertThat(types(n, calm.id())).isEmpty();
      for (int i = 0; i < 40; i++) {
        verify(n, noisy, "10.0.0.1", "admin");
      }
      clock.advance(Duration.ofMinutes(2));
      for (int i = 0; i < 40; i++) {
        verify(n, noisy, "10.0.0.1", "admin");
      }
      detector(n).tick();
      assertThat(types(n, noisy.id())).as("deduplicated within the window").hasSize(1);
      JsonNode events =
          n.call("GET", "/v1/events?type=anomaly.detected&key_id=" + noisy.id(), null)
              .expect(200)
              .get("data");
      assertThat(events).hasSize(1);
      assertThat(events.get(0).get("data").get("kind").asText()).isEqualTo("denial_burst");
    }
  }

  @Test
  void trafficSpike_raisedAboveBaseline_notBySteadyTraffic() {
    ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
    try (Node n = node(dir, clock)) {
      Key steady = key(n);
      Key spiky = key(n);
      for (int m = 0; m < 15; m++) {
        traffic(n, steady, "10.0.0.1", 60);
        traffic(n, spiky, "10.0.0.2", 5);
        clock.advance(Duration.ofMinutes(1));
        detector(n).tick();
      }
      assertThat(types(n, steady.id())).isEmpty();
      assertThat(types(n, spiky.id())).isEmpty();
      traffic(n, steady, "10.0.0.1", 60);
      traffic(n, spiky, "10.0.0.2", 150);
      detector(n).tick();
      assertThat(types(n, spiky.id())).containsExactly("traffic_spike");
      assertThat(types(n, steady.id())).isEmpty();
    }
  }

  @Test
  void grantUseTimes_moveInOneSecondSteps_andEachStepIsFlushed() {
    Instant t0 = Instant.parse("2030-01-01T00:00:00Z");
    ManualClock clock = new ManualClock(t0);
    try (Node n = node(dir, clock)) {
      Key k = key(n);
      traffic(n, k, "10.0.0.5", 1);
      assertThat(detector(n).pendingGrantUse(k.id()))
          .extracting(GrantUse::value, GrantUse::lastUsedAt)
          .containsExactly(Tuple.tuple("read", t0));
      detector(n).flush();
      clock.advance(Duration.ofMillis(999)); // within the step: nothing new to write
      traffic(n, k, "10.0.0.5", 3);
      assertThat(detector(n).pendingGrantUse(k.id())).isEmpty();
      clock.advance(Duration.ofMillis(1)); // a full second later: the new time is pending
      traffic(n, k, "10.0.0.5", 1);
      assertThat(detector(n).pendingGrantUse(k.id()))
          .extracting(GrantUse::lastUsedAt)
          .containsExactly(t0.plusSeconds(1));
    }
  }

  @Test
  void newNetwork_afterLearning_only_and_persisted() {
    ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
    try (Node n = node(dir, clock)) {
      Key k = key(n);
      traffic(n, k, "10.0.0.5", 3);
      clock.advance(Duration.ofDays(2));
      traffic(n, k, "198.51.100.7", 1); // new, but still learning
      detector(n).tick();
      detector(n).flush();
      clock.advance(Duration.ofDays(6));
      traffic(n, k, "10.0.0.77", 5); // same /24 as before
      traffic(n, k, "198.51.100.9", 5);
      detector(n).tick();
      assertThat(types(n, k.id())).isEmpty();
      traffic(n, k, "203.0.113.9", 1);
      traffic(n, k, "2001:db8:1:2::5", 1);
      detector(n).tick();
      detector(n).flush();
      assertThat(types(n, k.id())).containsExactly("new_network");
      assertThat(n.monitoring().anomalyStore().orElseThrow().networks(k.id()))
          .containsKeys("10.0.0.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8:1::/48");
    }
  }

  @Test
  void lateGraceUse_raisedInLastTenth_notEarly() {
    ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
    try (Node n = node(dir, clock)) {
      Key early = key(n);
      Key late = key(n);
      n.server.keygate().keys().rotate(early.id(), Duration.ofHours(10), TEST);
      n.server.keygate().keys().rotate(late.id(), Duration.ofHours(10), TEST);
      clock.advance(Duration.ofHours(1));
      traffic(n, early, "10.0.0.1", 3);
      traffic(n, late, "10.0.0.1", 3);
      detector(n).tick();
      assertThat(types(n, early.id())).isEmpty();
      clock.advance(Duration.ofHours(8).plusMinutes(30));
      traffic(n, late, "10.0.0.1", 3);
      detector(n).tick();
      assertThat(types(n, late.id())).containsExactly("late_grace_use");
      assertThat(types(n, early.id())).isEmpty();
    }
  }

  @Test
  void canaryAndBruteForce_appearAsAlerts_ackAndOwnerRestriction() {
    ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
    try (Node n = node(dir, clock)) {
      String canary =
          n.server.keygate().canaries().create("acme", "decoy", null, TEST).secret().reveal();
      String canaryId =
          n.call("GET", "/v1/canaries", null).expect(200).get("data").get(0).get("key_id").asText();
      assertThat(n.server.keygate().verifier().verify(VerifyRequest.of(canary)).outcome())
          .isEqualTo(Outcome.INVALID_KEY);
      detector(n).tick();
      assertThat(types(n, canaryId)).containsExactly("canary");

      String acme = n.token("acme", List.of("alerts:read", "alerts:write"));
      String other = n.token("globex", List.of("alerts:read", "alerts:write"));
      assertThat(n.call("GET", "/v1/alerts", null, other).expect(200).get("data")).isEmpty();
      n.call("GET", "/v1/alerts?owner_id=acme", null, other).expect(403);
      JsonNode mine = n.call("GET", "/v1/alerts?status=open", null, acme).expect(200).get("data");
      assertThat(mine).hasSize(1);
      String alertId = mine.get(0).get("alert_id").asText();
      n.call("POST", "/v1/alerts/" + alertId + "/ack", Node.map(), other).expect(404);
      JsonNode acked =
          n.call("POST", "/v1/alerts/" + alertId + "/ack", Node.map(), acme).expect(200);
      assertThat(acked.get("status").asText()).isEqualTo("acknowledged");
      assertThat(acked.get("acknowledged_at").asText()).isNotBlank();
      JsonNode audit = n.call("GET", "/v1/audit?limit=1", null).expect(200).get("data").get(0);
      assertThat(audit.get("action").asText()).isEqualTo("alert.acknowledged");
      assertThat(audit.get("target_id").asText()).isEqualTo(alertId);
      assertThat(audit.get("actor").asText()).isEqualTo(acked.get("acknowledged_by").asText());
      assertThat(audit.get("details").get("type").asText()).isEqualTo("canary");
      long seq = audit.get("seq").asLong();
      n.call("POST", "/v1/alerts/" + alertId + "/ack", Node.map(), acme).expect(200);
      assertThat(
              n.call("GET", "/v1/audit?limit=1", null)
                  .expect(200)
                  .get("data")
                  .get(0)
                  .get("seq")
                  .asLong())
          .as("acknowledging again changes nothing and writes no second event")
          .isEqualTo(seq);
      assertThat(n.call("GET", "/v1/alerts?status=open", null, acme).expect(200).get("data"))
          .isEmpty();
      assertThat(
              n.call("GET", "/v1/alerts?status=acknowledged", null, acme).expect(200).get("data"))
          .hasSize(1);
      n.call("GET", "/v1/alerts", null, n.token("acme", List.of("keys:read"))).expect(403);

      for (int i = 0; i < 200; i++) {
        n.server
            .keygate()
            .verifier()
            .verify(new VerifyRequest("not-a-key-" + i, "10.9.9.9", List.of(), "GET", "/x"));
      }
      n.server.keygate().flushUsage();
      clock.advance(Duration.ofSeconds(10));
      detector(n).tick();
      JsonNode all = n.call("GET", "/v1/alerts?status=open", null).expect(200).get("data");
      assertThat(all).hasSize(1);
      assertThat(all.get(0).get("type").asText()).isEqualTo("brute_force");
      assertThat(all.get(0).get("key_id").isNull()).isTrue();
      assertThat(all.get(0).get("details").get("ip").asText()).isEqualTo("10.9.9.9");
      assertThat(n.call("GET", "/v1/alerts", null, acme).expect(200).get("data")).hasSize(1);
    }
  }

  @Test
  void network_isThe24or48() {
    assertThat(AnomalyDetector.network("203.0.113.200")).isEqualTo("203.0.113.0/24");
    assertThat(AnomalyDetector.network("::ffff:10.1.2.3")).isEqualTo("10.1.2.0/24");
    assertThat(AnomalyDetector.network("2001:db8:abcd:12::1")).isEqualTo("2001:db8:abcd::/48");
    assertThat(AnomalyDetector.network("example.com")).isNull();
  }
}
