package io.keygate.server.http;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyRoutesTest extends ServerPerTest {
  /** Every route on one key: its method and the path after {@code /v1/keys/{id}}. */
  static final String[][] PER_KEY_ROUTES = {
    {"GET", ""},
    {"PATCH", ""},
    {"POST", "/revoke"},
    {"POST", "/rotate"},
    {"POST", "/disable"},
    {"POST", "/enable"}
  };

  private static final String PUBLIC_FORMAT = "sk_live_[0-9A-Za-z]{43}[0-9A-Za-z]{6}";

  @Test
  void create_withOnlyOwner_appliesDefaultsAndShowsKeyOnce() {
    JsonNode k = t.createKey("owner_id", "acme");

    assertThat(k.path("api_key").asText()).matches(PUBLIC_FORMAT);
    assertThat(t.server.keygate().format().identify(k.path("api_key").asText())).isNotNull();
    assertThat(k.path("key_id").asText()).matches("key_[0-9A-Za-z]+");
    assertThat(k.path("type").asText()).isEqualTo("live_secret");
    assertThat(k.path("owner_id").asText()).isEqualTo("acme");
    assertThat(strings(k.path("scopes"))).containsExactly("read");
    Instant created = Instant.parse(k.path("created_at").asText());
    assertThat(created).isEqualTo(t.clock.instant());
    assertThat(Instant.parse(k.path("expires_at").asText()))
        .isEqualTo(created.plus(Duration.ofDays(365)));
    String raw = k.path("api_key").asText();
    assertThat(k.path("hint").asText()).isEqualTo("sk_live_…" + raw.substring(raw.length() - 4));
    assertThat(k.path("warning").asText()).contains("never show it again");

    JsonNode got = t.get("/v1/keys/" + k.path("key_id").asText()).expect(200);
    assertThat(got.has("api_key")).isFalse();
    assertThat(got.toString()).doesNotContain(raw);
    assertThat(got.path("status").asText()).isEqualTo("active");
  }

  @Test
  void create_withEverySetting_returnsThemAndGetAgrees() {
    JsonNode k =
        t.createKey(
            "type",
            "test_restricted",
            "owner_id",
            "acme",
            "name",
            "billing worker",
            "scopes",
            List.of("orders:read", "orders:write"),
            "ip_allowlist",
            List.of("10.0.0.0/8", "2001:db8::/32", "192.0.2.1"),
            "rate_limit",
            map("requests", 1000, "window", 3600),
            "expires_in_days",
            30,
            "meta",
            map("plan", "pro"));

    assertThat(k.path("api_key").asText()).startsWith("rk_test_");
    assertThat(k.path("type").asText()).isEqualTo("test_restricted");
    assertThat(Instant.parse(k.path("expires_at").asText()))
        .isEqualTo(t.clock.instant().plus(Duration.ofDays(30)));
    JsonNode got = t.get("/v1/keys/" + k.path("key_id").asText()).expect(200);
    assertThat(got.path("name").asText()).isEqualTo("billing worker");
    assertThat(strings(got.path("scopes"))).containsExactly("orders:read", "orders:write");
    assertThat(strings(got.path("ip_allowlist")))
        .containsExactly("10.0.0.0/8", "2001:db8::/32", "192.0.2.1");
    assertThat(got.path("rate_limits").get(0).path("requests").asLong()).isEqualTo(1000);
    assertThat(got.path("rate_limits").get(0).path("window").asLong()).isEqualTo(3600);
    assertThat(got.path("meta").path("plan").asText()).isEqualTo("pro");
  }

  @Test
  void create_beyondMaxTtl_isRefused() {
    JsonNode e = t.post("/v1/keys", map("owner_id", "acme", "expires_in_days", 366)).expect(400);
    assertThat(e.path("error").asText()).isEqualTo("invalid_expiry");
  }

  @Test
  void create_adminType_isRefused() {
    JsonNode e = t.post("/v1/keys", map("owner_id", "acme", "type", "admin")).expect(400);
    assertThat(e.path("error").asText()).isEqualTo("invalid_key_type");
  }

  @Test
  void list_pagesThroughEveryKeyNewestFirst() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      created.add(0, t.createKey("owner_id", "pager").path("key_id").asText());
      t.clock.advance(Duration.ofSeconds(1));
    }
    t.createKey("owner_id", "someone-else");

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page =
          t.get("/v1/keys?owner_id=pager&limit=3" + (cursor == null ? "" : "&cursor=" + cursor))
              .expect(200);
      page.path("data").forEach(k -> seen.add(k.path("key_id").asText()));
      assertThat(page.path("data").size()).isLessThanOrEqualTo(3);
      cursor = page.path("next_cursor").isNull() ? null : page.path("next_cursor").asText();
      pages++;
    } while (cursor != null && pages < 10);

    assertThat(seen).containsExactlyElementsOf(created);
    assertThat(pages).isEqualTo(3);
  }

  @Test
  void list_filtersByStatus() {
    String active = t.createKey("owner_id", "s").path("key_id").asText();
    String disabled = t.createKey("owner_id", "s").path("key_id").asText();
    String revoked = t.createKey("owner_id", "s").path("key_id").asText();
    t.post("/v1/keys/" + disabled + "/disable", null).expect(200);
    t.post("/v1/keys/" + revoked + "/revoke", map("reason", "test")).expect(200);

    assertThat(ids(t.get("/v1/keys?owner_id=s&status=active").expect(200))).containsExactly(active);
    assertThat(ids(t.get("/v1/keys?owner_id=s&status=disabled").expect(200)))
        .containsExactly(disabled);
    assertThat(ids(t.get("/v1/keys?owner_id=s&status=revoked").expect(200)))
        .containsExactly(revoked);
    assertThat(ids(t.get("/v1/keys?owner_id=s").expect(200)))
        .containsExactlyInAnyOrder(active, disabled, revoked);
  }

  @Test
  void list_expiredStatus_isDerivedFromTheClock() {
    String shortLived = t.createKey("owner_id", "e", "expires_in_days", 1).path("key_id").asText();
    String longLived = t.createKey("owner_id", "e").path("key_id").asText();
    t.clock.advance(Duration.ofDays(2));

    assertThat(ids(t.get("/v1/keys?owner_id=e&status=expired").expect(200)))
        .containsExactly(shortLived);
    assertThat(ids(t.get("/v1/keys?owner_id=e&status=active").expect(200)))
        .containsExactly(longLived);
  }

  @Test
  void list_limitBounds() {
    t.get("/v1/keys?limit=1").expect(200);
    t.get("/v1/keys?limit=500").expect(200);
    assertThat(t.get("/v1/keys?limit=0").expect(400).path("error").asText())
        .isEqualTo("invalid_limit");
    assertThat(t.get("/v1/keys?limit=501").expect(400).path("error").asText())
        .isEqualTo("invalid_limit");
  }

  @Test
  void patch_changesOnlyGivenFields_andAudits() {
    JsonNode k = t.createKey("owner_id", "acme", "name", "old", "scopes", List.of("read"));
    String id = k.path("key_id").asText();

    JsonNode p =
        t.patch(
                "/v1/keys/" + id,
                map("name", "new", "scopes", List.of("read", "write"), "meta", map("tier", "gold")))
            .expect(200);

    assertThat(p.path("name").asText()).isEqualTo("new");
    assertThat(strings(p.path("scopes"))).containsExactly("read", "write");
    assertThat(p.path("meta").path("tier").asText()).isEqualTo("gold");
    assertThat(p.path("expires_at").asText()).isEqualTo(k.path("expires_at").asText());
    JsonNode v = t.verify(k.path("api_key").asText(), "required_scopes", List.of("write"));
    assertThat(v.path("code").asText()).isEqualTo("valid");
    JsonNode audit = t.get("/v1/audit?target_id=" + id).expect(200);
    assertThat(audit.path("data").get(0).path("action").asText()).isEqualTo("key.updated");
  }

  @Test
  void patch_invalidScope_isRefusedAndNothingChanges() {
    String id = t.createKey("owner_id", "acme").path("key_id").asText();
    JsonNode e = t.patch("/v1/keys/" + id, map("scopes", List.of())).expect(400);
    assertThat(e.path("error").asText()).isEqualTo("invalid_scopes");
    assertThat(strings(t.get("/v1/keys/" + id).expect(200).path("scopes"))).containsExactly("read");
  }

  @Test
  void disableThenEnable_togglesVerification() {
    JsonNode k = t.createKey("owner_id", "acme");
    String id = k.path("key_id").asText();
    String raw = k.path("api_key").asText();

    assertThat(t.post("/v1/keys/" + id + "/disable", null).expect(200).path("status").asText())
        .isEqualTo("disabled");
    assertThat(t.verify(raw).path("code").asText()).isEqualTo("key_disabled");

    assertThat(t.post("/v1/keys/" + id + "/enable", null).expect(200).path("status").asText())
        .isEqualTo("active");
    assertThat(t.verify(raw).path("code").asText()).isEqualTo("valid");
  }

  @Test
  void revoke_isImmediateEverywhere_andCannotBeRepeated() {
    JsonNode k = t.createKey("owner_id", "acme");
    String id = k.path("key_id").asText();
    String raw = k.path("api_key").asText();

    JsonNode r = t.post("/v1/keys/" + id + "/revoke", map("reason", "leaked in CI")).expect(200);

    assertThat(r.path("status").asText()).isEqualTo("revoked");
    assertThat(r.path("revoke_reason").asText()).isEqualTo("leaked in CI");
    assertThat(t.verify(raw).path("code").asText()).isEqualTo("key_revoked");
    TestServer.Response authz =
        t.req("GET", "/v1/authz").token(null).header("X-API-Key", raw).send();
    assertThat(authz.expectAuthz(401)).isEqualTo("key_revoked");
    assertThat(t.post("/v1/keys/" + id + "/revoke", map()).expect(409).path("error").asText())
        .isEqualTo("key_revoked");
    assertThat(t.post("/v1/keys/" + id + "/enable", null).expect(409).path("error").asText())
        .isEqualTo("key_revoked");
    assertThat(t.post("/v1/keys/" + id + "/rotate", map()).expect(409).path("error").asText())
        .isEqualTo("key_revoked");
  }

  @Test
  void expiredOrRevokedKey_cannotComeBack_throughAnyChange_andStaysRefused() {
    JsonNode expired = t.createKey("owner_id", "acme", "expires_in_days", 1);
    JsonNode disabledThenExpired = t.createKey("owner_id", "acme", "expires_in_days", 1);
    t.post("/v1/keys/" + disabledThenExpired.path("key_id").asText() + "/disable", map())
        .expect(200);
    JsonNode revoked = t.createKey("owner_id", "acme");
    t.post("/v1/keys/" + revoked.path("key_id").asText() + "/revoke", map()).expect(200);
    JsonNode rotatedAway = t.createKey("owner_id", "acme");
    t.post(
            "/v1/keys/" + rotatedAway.path("key_id").asText() + "/rotate",
            map("grace_period_hours", 1))
        .expect(201);
    t.clock.advance(Duration.ofDays(1));
    for (var c :
        List.of(
            Map.entry(expired, "key_expired"),
            Map.entry(disabledThenExpired, "key_expired"),
            Map.entry(revoked, "key_revoked"),
            Map.entry(rotatedAway, "key_revoked"))) {
      String id = c.getKey().path("key_id").asText();
      List<TestServer.Response> revivals =
          List.of(
              t.patch("/v1/keys/" + id, map("expires_in_days", 365)),
              t.patch("/v1/keys/" + id, map("scopes", List.of("read", "write"))),
              t.post("/v1/keys/" + id + "/enable", map()),
              t.post("/v1/keys/" + id + "/disable", map()),
              t.post("/v1/keys/" + id + "/rotate", map()),
              t.post("/v1/keys/" + id + "/rotate", map("grace_period_hours", 0)));
      for (TestServer.Response r : revivals) {
        JsonNode e = r.expect(409);
        assertThat(e.path("error").asText()).isEqualTo(c.getValue());
        assertThat(e.path("message").asText()).contains(id);
      }
      String code = t.verify(c.getKey().path("api_key").asText()).path("code").asText();
      assertThat(code).isIn("key_expired", "key_disabled", "key_revoked");
    }
    // the one change still allowed: revoking an expired key makes its end final
    t.post("/v1/keys/" + expired.path("key_id").asText() + "/revoke", map()).expect(200);
    assertThat(t.verify(expired.path("api_key").asText()).path("code").asText())
        .isEqualTo("key_revoked");
  }

  @Test
  void rotate_returnsNewKeyWithOldSettingsAndLinksBoth() {
    JsonNode k =
        t.createKey(
            "owner_id", "acme", "name", "svc", "scopes", List.of("a", "b"), "meta", map("x", "y"));
    String oldId = k.path("key_id").asText();

    JsonNode r = t.post("/v1/keys/" + oldId + "/rotate", map("grace_period_hours", 2)).expect(201);

    JsonNode nk = r.path("new_key");
    assertThat(nk.path("api_key").asText()).matches(PUBLIC_FORMAT);
    assertThat(nk.path("api_key").asText()).isNotEqualTo(k.path("api_key").asText());
    assertThat(nk.path("key_id").asText()).isNotEqualTo(oldId);
    assertThat(nk.path("rotated_from").asText()).isEqualTo(oldId);
    assertThat(strings(nk.path("scopes"))).containsExactly("a", "b");
    assertThat(nk.path("name").asText()).isEqualTo("svc");
    assertThat(nk.path("meta").path("x").asText()).isEqualTo("y");
    assertThat(r.path("old_key_id").asText()).isEqualTo(oldId);
    assertThat(Instant.parse(r.path("old_key_revokes_at").asText()))
        .isEqualTo(t.clock.instant().plus(Duration.ofHours(2)));
    assertThat(r.path("message").asText()).isEqualTo("Old key will be revoked in 2 hours");

    JsonNode old = t.get("/v1/keys/" + oldId).expect(200);
    assertThat(old.path("rotated_to").asText()).isEqualTo(nk.path("key_id").asText());
    assertThat(old.path("status").asText()).isEqualTo("active");
  }

  @Test
  void rotate_message_wasOneHundredthShortWhenTheClockHadSubMillisecondTime_regression() {
    t.clock.set(Instant.parse("2026-01-01T00:00:00.000500Z"));
    String id = t.createKey("owner_id", "acme").path("key_id").asText();
    JsonNode r = t.post("/v1/keys/" + id + "/rotate", map("grace_period_hours", 1)).expect(201);
    assertThat(r.path("message").asText()).isEqualTo("Old key will be revoked in 1 hours");
  }

  @Test
  void rotate_withoutBody_usesDefaultGraceOf24Hours() {
    String id = t.createKey("owner_id", "acme").path("key_id").asText();
    JsonNode r = t.req("POST", "/v1/keys/" + id + "/rotate").send().expect(201);
    assertThat(Instant.parse(r.path("old_key_revokes_at").asText()))
        .isEqualTo(t.clock.instant().plus(Duration.ofHours(24)));
  }

  @Test
  void rotate_disabledKey_newKeyIsDisabledAndTheMessageSaysHowToEnableIt() {
    JsonNode k = t.createKey("owner_id", "acme");
    String id = k.path("key_id").asText();
    t.post("/v1/keys/" + id + "/disable", map()).expect(200);
    JsonNode r = t.post("/v1/keys/" + id + "/rotate", map("grace_period_hours", 1)).expect(201);
    String newId = r.path("new_key").path("key_id").asText();
    assertThat(r.path("message").asText())
        .isEqualTo(
            "Old key will be revoked in 1 hours; the new key is disabled, as the old one was:"
                + " enable it with POST /v1/keys/"
                + newId
                + "/enable");
    assertThat(t.get("/v1/keys/" + newId).expect(200).path("status").asText())
        .isEqualTo("disabled");
    t.post("/v1/keys/" + newId + "/enable", map()).expect(200);
    assertThat(t.get("/v1/keys/" + newId).expect(200).path("status").asText()).isEqualTo("active");
  }

  @Test
  void rotate_twice_isAConflict() {
    String id = t.createKey("owner_id", "acme").path("key_id").asText();
    t.post("/v1/keys/" + id + "/rotate", map()).expect(201);
    assertThat(t.post("/v1/keys/" + id + "/rotate", map()).expect(409).path("error").asText())
        .isEqualTo("invalid_state");
  }

  @Test
  void rotate_graceAbovePolicyMaximum_isRefused() {
    String id = t.createKey("owner_id", "acme").path("key_id").asText();
    JsonNode e = t.post("/v1/keys/" + id + "/rotate", map("grace_period_hours", 721)).expect(400);
    assertThat(e.path("error").asText()).isEqualTo("invalid_grace_period");
  }

  @Test
  void unknownKeyId_is404OnEveryRoute() {
    String id = "key_doesNotExist0000000000";
    for (String[] call : PER_KEY_ROUTES) {
      JsonNode e = t.req(call[0], "/v1/keys/" + id + call[1]).json(Map.of()).send().expect(404);
      assertThat(e.path("error").asText()).as(call[0] + call[1]).isEqualTo("not_found");
    }
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  static List<String> ids(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.path("data").forEach(n -> out.add(n.path("key_id").asText()));
    return out;
  }
}
