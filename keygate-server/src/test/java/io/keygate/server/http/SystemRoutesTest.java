package io.keygate.server.http;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SystemRoutesTest extends ServerPerTest {

  @Test
  void healthAndReadiness_needNoToken() {
    assertThat(t.req("GET", "/healthz").token(null).send().expect(200).path("status").asText())
        .isEqualTo("ok");
    assertThat(t.req("GET", "/readyz").token(null).send().expect(200).path("status").asText())
        .isEqualTo("ready");
  }

  @Test
  void openapi_isAJsonOpenApi3Document() {
    TestServer.Response r = t.req("GET", "/openapi.json").token(null).send();
    JsonNode doc = r.expect(200);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    assertThat(doc.path("openapi").asText()).startsWith("3.");
    assertThat(doc.path("paths").has("/v1/keys")).isTrue();
    assertThat(doc.path("paths").has("/v1/verify")).isTrue();
  }

  @Test
  void audit_listsNewestFirst_withCursorAndActorDetails() {
    String id = t.createKey("owner_id", "acme").path("key_id").asText();
    t.clock.advance(Duration.ofSeconds(1));
    t.post("/v1/keys/" + id + "/disable", null).expect(200);
    t.post("/v1/keys/" + id + "/enable", null).expect(200);
    t.post("/v1/keys/" + id + "/revoke", map("reason", "done")).expect(200);

    JsonNode first = t.get("/v1/audit?limit=2").expect(200);
    assertThat(actions(first)).containsExactly("key.revoked", "key.enabled");
    JsonNode top = first.path("data").get(0);
    String tokenId = t.server.keygate().verifier().find(t.adminToken).orElseThrow().keyId();
    assertThat(top.path("actor").asText()).isEqualTo(tokenId);
    assertThat(top.path("target_id").asText()).isEqualTo(id);
    assertThat(top.path("owner_id").asText()).isEqualTo("acme");
    assertThat(top.path("source_ip").asText()).isEqualTo("127.0.0.1");
    assertThat(top.path("details").path("reason").asText()).isEqualTo("done");
    assertThat(top.path("hash").asText()).hasSize(64);
    assertThat(first.path("next_cursor").isNull()).isFalse();

    JsonNode second =
        t.get("/v1/audit?limit=2&cursor=" + first.path("next_cursor").asText()).expect(200);
    assertThat(actions(second)).containsExactly("key.disabled", "key.created");
    assertThat(first.path("data").get(1).path("prev_hash").asText())
        .isEqualTo(second.path("data").get(0).path("hash").asText());

    JsonNode third =
        t.get("/v1/audit?limit=2&cursor=" + second.path("next_cursor").asText()).expect(200);
    assertThat(actions(third)).containsExactly("admin_token.created");
    assertThat(third.path("next_cursor").isNull()).isTrue();
  }

  @Test
  void audit_filtersByTarget() {
    String a = t.createKey("owner_id", "acme").path("key_id").asText();
    t.createKey("owner_id", "acme");
    JsonNode page = t.get("/v1/audit?target_id=" + a).expect(200);
    assertThat(actions(page)).containsExactly("key.created");
  }

  private static List<String> actions(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.path("data").forEach(e -> out.add(e.path("action").asText()));
    return out;
  }
}
