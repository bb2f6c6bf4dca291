package io.keygate.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.Keygate;
import io.keygate.core.events.EventTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.testing.ManualClock;
import io.keygate.server.http.Json;
import io.keygate.server.testing.KeygateServerExtension;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Owners' webhooks receive every event, signed, retried, and never lost across a restart. */
class WebhookDeliveryTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String SECRET = "whsec_test_0123456789abcdef";

  @TempDir Path dir;

  private static void registerOwner(Node n, String owner, String url) {
    n.call(
            "POST",
            "/v1/owners",
            Node.map(
                "owner_id",
                owner,
                "name",
                "Acme",
                "webhooks",
                List.of(Node.map("url", url, "secret", SECRET))))
        .expect(201);
  }

  private static String createKey(Node n, String owner, Object... more) {
    Map<String, Object> body = Node.map("owner_id", owner, "scopes", List.of("read"));
    body.putAll(Node.map(more));
    return n.call("POST", "/v1/keys", body).expect(201).get("key_id").asText();
  }

  /** Writes an event the way the leak, canary and rate-limit code does: via the store's tx. */
  private static void enqueue(Keygate kg, String type, String keyId) {
    ApiKeyRecord rec = kg.store().findById(keyId).orElseThrow();
    kg.store()
        .inTransaction(
            tx -> {
              tx.enqueueEvent(
                  kg.keys().event(type, rec, kg.clock().instant(), Map.of("source", "test")));
              return null;
            });
  }

  private static void assertSigned(Receiver.Hit h, long... times) {
    boolean ok = false;
    for (long t : times) {
      ok |= WebhookSignature.verify(SECRET, h.signature(), h.body(), t, 300);
    }
    assertThat(ok).as("signature of %s", h.eventId()).isTrue();
    long now = times[0];
    assertThat(
            WebhookSignature.verify("wrong-secret-wrong-secret", h.signature(), h.body(), now, 300))
        .isFalse();
  }

  @Test
  void everyEventType_isDeliveredSigned_andRetriedAfterA500() throws IOException {
    ManualClock clock = new ManualClock();
    try (Receiver rx = new Receiver();
        Node n = new Node(servers, dir, clock, Node.LOOPBACK)) {
      registerOwner(n, "acme", rx.url());
      rx.answerNext(500);
      String k1 = createKey(n, "acme");
      n.call("POST", "/v1/keys/" + k1 + "/rotate", Node.map("grace_period_hours", 1)).expect(201);
      n.call("POST", "/v1/keys/" + k1 + "/revoke", Node.map("reason", "test")).expect(200);
      String k2 = createKey(n, "acme", "expires_in_days", 10);
      assertThat(n.expiry()).isEqualTo(1); // key.expiring (30-day threshold)
      for (String type :
          List.of(
              EventTypes.KEY_LEAKED,
              EventTypes.KEY_EXPOSED_IN_URL,
              EventTypes.ANOMALY_DETECTED,
              EventTypes.CANARY_TRIGGERED,
              EventTypes.RATELIMIT_EXCEEDED)) {
        enqueue(n.server.keygate(), type, k2);
      }
      n.deliver();
      clock.advance(Duration.ofDays(11));
      assertThat(n.expiry()).isGreaterThanOrEqualTo(1); // key.expired (k2, and others)
      n.deliver();

      List<Receiver.Hit> hits = rx.hits();
      long now = clock.instant().getEpochSecond();
      hits.forEach(h -> assertSigned(h, now, now - Duration.ofDays(11).toSeconds()));
      Receiver.Hit failed = hits.get(0);
      assertThat(failed.answered()).isEqualTo(500);
      assertThat(hits.stream().filter(h -> h.eventId().equals(failed.eventId())))
          .extracting(Receiver.Hit::answered)
          .containsExactly(500, 200);
      Set<String> delivered =
          hits.stream()
              .filter(h -> h.answered() == 200)
              .map(Receiver.Hit::eventType)
              .collect(Collectors.toSet());
      assertThat(delivered).containsAll(EventTypes.ALL);
      JsonNode body = Json.MAPPER.readTree(failed.body());
      assertThat(body.get("id").asText()).isEqualTo(failed.eventId());
      assertThat(body.get("owner_id").asText()).isEqualTo("acme");
      assertThat(body.has("type") && body.has("created_at") && body.has("key_id")).isTrue();
      assertThat(body.get("data").get("key_hint").asText()).contains("…");

      JsonNode events = n.call("GET", "/v1/events?owner_id=acme&limit=100", null).expect(200);
      JsonNode retried = null;
      for (JsonNode e : events.get("data")) {
        if (e.get("id").asText().equals(failed.eventId())) {
          retried = e;
        }
        for (JsonNode d : e.get("deliveries")) {
          assertThat(d.get("status").asText()).isEqualTo("delivered");
        }
      }
      assertThat(retried).isNotNull();
      JsonNode d = retried.get("deliveries").get(0);
      assertThat(d.get("attempts").asInt()).isEqualTo(2);
      assertThat(d.get("channel").asText()).isEqualTo("webhook");
      assertThat(d.get("last_status").asInt()).isEqualTo(200);
      assertThat(
              n.call("GET", "/v1/events?type=key.rotated&key_id=" + k1, null)
                  .expect(200)
                  .get("data"))
          .hasSize(1);
    }
  }

  @Test
  void killedBetweenChangeAndDelivery_deliversAfterRestart_oncePerEventId() throws IOException {
    ManualClock clock = new ManualClock();
    String keyId;
    try (Receiver rx = new Receiver()) {
      try (Node a = new Node(servers, dir, clock, Node.LOOPBACK)) {
        registerOwner(a, "acme", rx.url());
        keyId = createKey(a, "acme");
        a.call("POST", "/v1/keys/" + keyId + "/revoke", Node.map("reason", "x")).expect(200);
      } // closed before its delivery worker ever ran
      assertThat(rx.hits()).isEmpty();
      try (Node b = new Node(servers, dir, clock, Node.LOOPBACK)) {
        b.deliver();
        b.deliver();
        clock.advance(Duration.ofHours(2));
        b.deliver();
      }
      Map<String, Integer> perEvent = new HashMap<>();
      rx.hits().forEach(h -> perEvent.merge(h.eventId(), 1, Integer::sum));
      assertThat(perEvent).hasSize(2).allSatisfy((id, count) -> assertThat(count).isEqualTo(1));
      assertThat(rx.hits())
          .extracting(Receiver.Hit::eventType)
          .containsExactlyInAnyOrder(EventTypes.KEY_CREATED, EventTypes.KEY_REVOKED);
    }
  }

  @Test
  void failingReceiver_isRetriedWithBackoffFor24Hours_thenDeadLettered() throws IOException {
    ManualClock clock = new ManualClock();
    try (Receiver rx = new Receiver();
        Node n = new Node(servers, dir, clock, Node.LOOPBACK)) {
      rx.answerAlways(503);
      registerOwner(n, "acme", rx.url());
      String keyId = createKey(n, "acme");
      n.deliver();
      for (int i = 0; i < 30; i++) {
        clock.advance(Duration.ofHours(1));
        n.deliver();
      }
      JsonNode d =
          n.call("GET", "/v1/events?key_id=" + keyId, null)
              .expect(200)
              .get("data")
              .get(0)
              .get("deliveries")
              .get(0);
      assertThat(d.get("status").asText()).isEqualTo("dead");
      assertThat(d.get("last_error").asText()).isEqualTo("HTTP 503");
      int attempts = d.get("attempts").asInt();
      assertThat(attempts).isBetween(20, 40);
      assertThat(rx.hits()).hasSize(attempts);
      assertThat(n.monitoring().registry().scrape()).contains("keygate_webhook_failures_total");
      n.deliver();
      assertThat(rx.hits()).hasSize(attempts);
    }
  }

  @Test
  void backoff_growsExponentially_withJitter_andIsCapped() throws IOException {
    ManualClock clock = new ManualClock();
    try (Node n = new Node(servers, dir, clock)) {
      DeliveryWorker w = n.monitoring().deliveries().orElseThrow();
      Set<Long> seen = new HashSet<>();
      for (int attempt = 1; attempt <= 12; attempt++) {
        long nominal = Math.min(10_000L << (attempt - 1), 3_600_000L);
        Duration d = w.backoff(attempt);
        assertThat(d.toMillis()).isBetween(nominal / 2, nominal);
        seen.add(d.toMillis());
      }
      assertThat(seen).hasSizeGreaterThan(6);
    }
  }
}
