package io.keygate.server.leaks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.lifecycle.Actor;
import io.keygate.server.testing.LeakServer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Canary keys: created once, indistinguishable from real keys, never valid, always alarmed. */
class CanaryTest extends LeakServerPerTest {
  private JsonNode createCanary(String owner, String label) {
    LeakServer.Response r =
        s.post("/v1/canaries", LeakServer.map("owner_id", owner, "label", label));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json();
  }

  private List<OutboxEvent> alarms(String keyId) {
    return s.server.keygate().store().outbox(null, keyId, 50).stream()
        .filter(e -> e.type().equals(EventTypes.CANARY_TRIGGERED))
        .toList();
  }

  @Test
  void canary_looksLikeALiveKey_andIsListed() {
    JsonNode c = createCanary("acme", "wiki: deploy notes");
    String key = c.get("api_key").asText();
    assertThat(key).startsWith("sk_live_");
    assertThat(s.server.keygate().format().identify(key).name()).isEqualTo("live_secret");
    JsonNode list = s.get("/v1/canaries?owner_id=acme").json();
    assertThat(list.get("data")).hasSize(1);
    assertThat(list.get("data").get(0).get("label").asText()).isEqualTo("wiki: deploy notes");
    assertThat(list.toString()).doesNotContain(key);
    String globex = s.token("globex", List.of("keys:read"));
    assertThat(s.send("GET", "/v1/canaries", globex, null).json().get("data")).isEmpty();
    assertThat(s.post("/v1/canaries", LeakServer.map("owner_id", "acme")).status()).isEqualTo(400);
    // no API can turn it into a working key
    String id = c.get("key_id").asText();
    assertThat(s.post("/v1/keys/" + id + "/enable", LeakServer.map()).status()).isEqualTo(409);
  }

  @Test
  void presentedViaVerifyAndAuthz_isInvalidKey_andRaisesAlarmWithIpAndUserAgent() {
    JsonNode c = createCanary("acme", "s3 bucket backup");
    String key = c.get("api_key").asText();
    String id = c.get("key_id").asText();

    JsonNode v =
        s.post(
                "/v1/verify",
                LeakServer.map("key", key, "ip", "203.0.113.9", "user_agent", "curl/8.5.0"))
            .json();
    assertThat(v.get("valid").asBoolean()).isFalse();
    assertThat(v.get("code").asText()).isEqualTo("invalid_key");
    assertThat(v.get("key_id").isNull()).isTrue();
    assertThat(v.toString()).doesNotContain("canary").doesNotContain(id);

    List<OutboxEvent> first = alarms(id);
    assertThat(first)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.ownerId()).isEqualTo("acme");
              assertThat(e.data())
                  .containsEntry("ip", "203.0.113.9")
                  .containsEntry("user_agent", "curl/8.5.0")
                  .containsEntry("label", "s3 bucket backup")
                  .containsKey("at");
              assertThat(e.data().toString()).doesNotContain(key);
            });
    assertThat(
            s.server.keygate().store().audit(new AuditQuery(id, null, 10, null)).stream()
                .map(a -> a.entry().action()))
        .contains("canary.triggered");

    LeakServer.Response authz =
        s.send(
            "GET",
            "/v1/authz",
            null,
            null,
            "X-API-Key",
            key,
            "User-Agent",
            "python-requests/2.31",
            "Accept",
            "application/json");
    assertThat(authz.status()).isEqualTo(401);
    assertThat(authz.json().get("error").asText()).isEqualTo("invalid_key");
    assertThat(authz.body()).doesNotContain("canary");
    // a second presentation within the alarm interval is counted, not written again
    assertThat(alarms(id)).hasSize(1);
  }

  @Test
  void authzPresentation_firstAlarmCarriesTheRequestUserAgent() {
    String key = createCanary("acme", "ci logs").get("api_key").asText();
    String id = s.get("/v1/canaries").json().get("data").get(0).get("key_id").asText();
    LeakServer.Response r =
        s.send(
            "POST",
            "/v1/authz",
            null,
            new byte[0],
            "Authorization",
            "Bearer " + key,
            "User-Agent",
            "evil-bot/1.0",
            "Accept",
            "application/json");
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().get("error").asText()).isEqualTo("invalid_key");
    assertThat(alarms(id))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.data()).containsEntry("user_agent", "evil-bot/1.0");
              assertThat(e.data().get("ip")).isEqualTo("127.0.0.1");
            });
  }

  @Test
  void canaryFoundInALeakReport_raisesAlarm_andStaysATripwire() {
    JsonNode c = createCanary("acme", "public gist");
    String key = c.get("api_key").asText();
    String id = c.get("key_id").asText();
    String body = "{\"findings\":[{\"key\":\"" + key + "\",\"file\":\"gist.md\",\"line\":4}]}";
    JsonNode sum =
        s.send(
                "POST",
                "/v1/leaks/reports?format=keygate",
                s.adminToken,
                body.getBytes(StandardCharsets.UTF_8),
                "Content-Type",
                "application/json")
            .json();
    assertThat(sum.get("canaries").asInt()).isEqualTo(1);
    assertThat(sum.get("revoked").asInt()).isZero();
    assertThat(alarms(id))
        .singleElement()
        .satisfies(e -> assertThat(e.data()).containsEntry("source", "keygate-scan"));
    assertThat(s.server.keygate().store().incidents(new IncidentQuery(null, id, 10, null)).items())
        .singleElement()
        .satisfies(i -> assertThat(i.action().wire()).isEqualTo("canary_recorded"));
    assertThat(s.verify(key)).isEqualTo("invalid_key");
    assertThat(s.server.keygate().keys().get(id, new Actor("t", null, null)).revokeReason())
        .isEqualTo("canary");
  }
}
