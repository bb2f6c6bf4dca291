package io.keygate.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.testing.ManualClock;
import io.keygate.server.testing.KeygateServerExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Expiry notices fire exactly once per key and threshold, driven by a manual clock. */
class ExpiryNoticesTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;

  private static List<JsonNode> events(Node n, String type, String keyId) {
    List<JsonNode> out = new ArrayList<>();
    n.call("GET", "/v1/events?limit=500&type=" + type + "&key_id=" + keyId, null)
        .expect(200)
        .get("data")
        .forEach(out::add);
    return out;
  }

  /** Creates a key of owner {@code acme} expiring in {@code days} days; its id. */
  private static String keyExpiringIn(Node n, int days) {
    return n.call(
            "POST",
            "/v1/keys",
            Node.map("owner_id", "acme", "scopes", List.of("read"), "expires_in_days", days))
        .expect(201)
        .get("key_id")
        .asText();
  }

  private static List<Integer> thresholds(Node n, String keyId) {
    return events(n, "key.expiring", keyId).stream()
        .map(e -> e.get("data").get("threshold_days").asInt())
        .sorted()
        .toList();
  }

  @Test
  void eachThreshold_firesExactlyOnce_andExpiredOnce_evenWhenTheJobRunsTwice() {
    ManualClock clock = new ManualClock();
    try (Node n = new Node(servers, dir, clock)) {
      String id = keyExpiringIn(n, 40);
      n.expiry();
      assertThat(thresholds(n, id)).isEmpty();
      assertThat(n.call("GET", "/v1/keys/" + id, null).expect(200).has("expiring_soon")).isFalse();

      clock.advance(Duration.ofDays(10).plusMinutes(1)); // 29.99 days left
      n.expiry();
      n.expiry();
      assertThat(thresholds(n, id)).containsExactly(30);
      JsonNode notice = events(n, "key.expiring", id).get(0).get("data");
      assertThat(notice.get("days_left").asInt()).isEqualTo(30);
      assertThat(notice.get("expires_at").asText()).isNotBlank();
      JsonNode view = n.call("GET", "/v1/keys/" + id, null).expect(200);
      assertThat(view.get("expiring_soon").asBoolean()).isTrue();
      assertThat(view.get("days_until_expiry").asInt()).isEqualTo(30);

      clock.advance(Duration.ofDays(10));
      n.expiry();
      assertThat(thresholds(n, id)).containsExactly(30);

      clock.advance(Duration.ofDays(13)); // 6.99 days left
      n.expiry();
      n.expiry();
      assertThat(thresholds(n, id)).containsExactly(7, 30);

      clock.advance(Duration.ofDays(6)); // 0.99 days left
      n.expiry();
      assertThat(thresholds(n, id)).containsExactly(1, 7, 30);
      assertThat(events(n, "key.expired", id)).isEmpty();

      clock.advance(Duration.ofDays(1));
      n.expiry();
      n.expiry();
      assertThat(events(n, "key.expired", id)).hasSize(1);
      clock.advance(Duration.ofDays(30));
      assertThat(n.expiry()).isZero();
      assertThat(thresholds(n, id)).containsExactly(1, 7, 30);
      assertThat(events(n, "key.expired", id)).hasSize(1);
    }
  }

  @Test
  void keyCreatedInsideSeveralThresholds_getsOnlyTheNearestNotice() {
    ManualClock clock = new ManualClock();
    try (Node n = new Node(servers, dir, clock)) {
      String id = keyExpiringIn(n, 5);
      assertThat(n.expiry()).isEqualTo(1);
      assertThat(thresholds(n, id)).containsExactly(7);
      clock.advance(Duration.ofDays(4).plusHours(1));
      n.expiry();
      assertThat(thresholds(n, id)).containsExactly(1, 7);
    }
  }

  @Test
  void twoNodesOverOneDatabase_sendEachNoticeOnce() {
    ManualClock clock = new ManualClock();
    try (Node a = new Node(servers, dir, clock);
        Node b = new Node(servers, dir, clock)) {
      String id = keyExpiringIn(a, 20);
      a.expiry();
      b.expiry();
      assertThat(thresholds(a, id)).containsExactly(30);
      assertThat(Map.of("n", thresholds(b, id).size())).containsEntry("n", 1);
    }
  }
}
