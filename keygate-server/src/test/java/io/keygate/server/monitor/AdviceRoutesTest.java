package io.keygate.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/keys/{key_id}/advice}: grants unused in 30 days, from tracked use. */
class AdviceRoutesTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;

  private static List<String> texts(JsonNode arr) {
    List<String> out = new ArrayList<>();
    arr.forEach(v -> out.add(v.asText()));
    return out;
  }

  @Test
  void advice_listsUnusedScopesAndAllowlistEntries_completeAfter30Days() {
    ManualClock clock = new ManualClock(Instant.parse("2030-01-01T00:00:00Z"));
    try (Node n = new Node(servers, dir, clock)) {
      JsonNode k =
          n.call(
                  "POST",
                  "/v1/keys",
                  Node.map(
                      "owner_id",
                      "acme",
                      "scopes",
                      List.of("read", "write", "admin"),
                      "ip_allowlist",
                      List.of("10.0.0.0/8", "192.0.2.0/24")))
              .expect(201);
      String id = k.get("key_id").asText();
      String secret = k.get("api_key").asText();
      assertThat(
              n.server
                  .keygate()
                  .verifier()
                  .verify(new VerifyRequest(secret, "10.1.2.3", List.of("read"), "GET", "/x"))
                  .outcome())
          .isEqualTo(Outcome.VALID);
      JsonNode young = n.call("GET", "/v1/keys/" + id + "/advice", null).expect(200);
      assertThat(young.get("complete").asBoolean()).isFalse();
      assertThat(texts(young.get("unused_scopes"))).containsExactly("write", "admin");
      assertThat(texts(young.get("unused_ip_allowlist"))).containsExactly("192.0.2.0/24");

      n.monitoring().anomalies().orElseThrow().flush();
      clock.advance(Duration.ofDays(20));
      n.server
          .keygate()
          .verifier()
          .verify(new VerifyRequest(secret, "192.0.2.9", List.of("write"), "GET", "/x"));
      n.monitoring().anomalies().orElseThrow().flush();
      clock.advance(Duration.ofDays(15));
      JsonNode old = n.call("GET", "/v1/keys/" + id + "/advice", null).expect(200);
      assertThat(old.get("complete").asBoolean()).isTrue();
      assertThat(texts(old.get("unused_scopes"))).containsExactly("read", "admin");
      assertThat(texts(old.get("unused_ip_allowlist"))).containsExactly("10.0.0.0/8");
      n.call("GET", "/v1/keys/" + id + "/advice", null, n.token("globex", List.of("keys:read")))
          .expect(404);
    }
  }
}
