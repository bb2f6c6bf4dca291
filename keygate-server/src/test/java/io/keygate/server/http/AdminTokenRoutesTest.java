package io.keygate.server.http;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.server.Route;
import io.keygate.server.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Admin tokens are not customer keys: they are managed only under {@code /v1/admin-tokens}, a token
 * can never create or change a token beyond its own scopes, owner and lifetime, {@code /v1/keys}
 * answers 404 for them, and they are never valid API keys.
 */
class AdminTokenRoutesTest extends ServerPerTest {

  private String idOf(String token) {
    return t.server.keygate().verifier().find(token).orElseThrow().keyId();
  }

  private JsonNode whoami(String token) {
    return t.req("GET", "/v1/whoami").token(token).send().expect(200);
  }

  @Test
  void keysWriteToken_cannotPatchRotateDisableOrRevokeAdminTokens_everyKeyRouteIs404() {
    // The attack of issue 17: a keys:write token widening itself, taking over another admin's
    // token (rotate: the new secret is in the answer) or locking admins out, through /v1/keys.
    String attacker = t.token(null, List.of(AdminScopes.KEYS_READ, AdminScopes.KEYS_WRITE));
    String victim = t.token(null, null);
    String tenant = t.token("acme", List.of(AdminScopes.KEYS_READ, AdminScopes.KEYS_WRITE));
    String tenantVictim = t.token("acme", List.of(AdminScopes.AUDIT_READ));
    List<String[]> targets =
        List.of(
            new String[] {attacker, idOf(attacker)}, // itself: self-escalation
            new String[] {attacker, idOf(victim)},
            new String[] {tenant, idOf(tenant)},
            new String[] {tenant, idOf(tenantVictim)},
            new String[] {t.adminToken, idOf(victim)}); // even with every scope
    List<String> keyRoutes = new ArrayList<>();
    for (Route r : t.server.routes()) {
      if (r.path().startsWith("/v1/keys/{key_id}") && !r.method().equals("HEAD")) {
        keyRoutes.add(r.toString());
      }
    }
    assertThat(keyRoutes).hasSizeGreaterThanOrEqualTo(8); // get, patch, 4 actions, usage, advice
    for (String[] target : targets) {
      for (String route : keyRoutes) {
        String[] mp = route.split(" ", 2);
        TestServer.Req req = t.req(mp[0], mp[1].replace("{key_id}", target[1])).token(target[0]);
        if (mp[0].equals("PATCH")) {
          req.json(map("scopes", AdminScopes.ALL)); // give itself every scope
        } else if (mp[1].endsWith("/rotate")) {
          req.json(map("grace_period_hours", 0)); // take the token over
        } else if (mp[0].equals("POST")) {
          req.json(map());
        }
        TestServer.Response r = req.send();
        assertThat(r.status()).as(route + " on " + target[1]).isEqualTo(404);
        assertThat(r.body()).doesNotContain("kg_admin_");
      }
    }
    // listings never show them, whatever the filter
    for (String q :
        List.of(
            "", "?type=admin", "?owner_id=acme", "?status=active", "?type=admin&owner_id=acme")) {
      JsonNode page = t.req("GET", "/v1/keys" + q).token(t.adminToken).send().expect(200);
      page.path("data").forEach(k -> assertThat(k.path("type").asText()).isNotEqualTo("admin"));
      assertThat(page.toString()).doesNotContain(idOf(victim)).doesNotContain(idOf(tenant));
    }
    // an admin token cannot be made or imported through the key routes either
    assertThat(
            t.post("/v1/keys", map("owner_id", "acme", "type", "admin"))
                .expect(400)
                .path("error")
                .asText())
        .isEqualTo("invalid_key_type");
    JsonNode imported =
        t.req("POST", "/v1/keys/import")
            .body(
                "{\"sha256\":\"" + "a".repeat(64) + "\",\"owner_id\":\"acme\",\"type\":\"admin\"}",
                "application/x-ndjson")
            .send()
            .expect(400);
    assertThat(imported.path("lines").get(0).path("error").asText()).isEqualTo("invalid_key_type");
    // nothing changed: every token still works with exactly its scopes
    assertThat(whoami(attacker).path("scopes").size()).isEqualTo(2);
    assertThat(whoami(victim).path("scopes").size()).isEqualTo(AdminScopes.ALL.size());
    assertThat(whoami(tenantVictim).path("scopes").toString()).isEqualTo("[\"audit:read\"]");
  }

  @Test
  void create_list_show_revoke_roundTrip_secretShownOnce_everyChangeAudited() {
    JsonNode created =
        t.post(
                "/v1/admin-tokens",
                map(
                    "owner_id",
                    "acme",
                    "name",
                    "acme ci",
                    "scopes",
                    List.of(AdminScopes.KEYS_READ, AdminScopes.VERIFY),
                    "expires_in_days",
                    30))
            .expect(201);
    String token = created.path("token").asText();
    String id = created.path("key_id").asText();
    assertThat(token).matches("kg_admin_[0-9A-Za-z]{49}");
    assertThat(created.path("warning").asText()).contains("never show it again");
    assertThat(created.path("expires_at").asText())
        .isEqualTo(t.clock.instant().plus(Duration.ofDays(30)).toString());
    assertThat(whoami(token).path("owner_id").asText()).isEqualTo("acme");

    JsonNode shown = t.get("/v1/admin-tokens/" + id).expect(200);
    assertThat(shown.path("status").asText()).isEqualTo("active");
    assertThat(shown.path("name").asText()).isEqualTo("acme ci");
    assertThat(shown.toString()).doesNotContain(token);
    JsonNode listed = t.get("/v1/admin-tokens?owner_id=acme").expect(200);
    assertThat(listed.path("data").findValuesAsText("key_id")).containsExactly(id);
    assertThat(listed.toString()).doesNotContain(token);
    assertThat(t.get("/v1/admin-tokens").expect(200).path("data").findValuesAsText("key_id"))
        .contains(id, idOf(t.adminToken));

    JsonNode revoked =
        t.post("/v1/admin-tokens/" + id + "/revoke", map("reason", "ci retired")).expect(200);
    assertThat(revoked.path("status").asText()).isEqualTo("revoked");
    assertThat(t.req("GET", "/v1/keys").token(token).send().status()).isEqualTo(401);
    assertThat(
            t.post("/v1/admin-tokens/" + id + "/revoke", map()).expect(409).path("error").asText())
        .isEqualTo("key_revoked");
    assertThat(t.get("/v1/admin-tokens?status=revoked").expect(200).path("data").size())
        .isEqualTo(1);

    JsonNode audit = t.get("/v1/audit?target_id=" + id).expect(200).path("data");
    assertThat(audit.findValuesAsText("action"))
        .containsExactly("admin_token.revoked", "admin_token.created");
    audit.forEach(e -> assertThat(e.path("actor").asText()).isEqualTo(idOf(t.adminToken)));
    assertThat(audit.get(1).path("details").path("scopes").asText()).isEqualTo("keys:read verify");
  }

  @Test
  void aToken_canNeverCreateOrChangeATokenBeyondItsOwnScopesOwnerOrLifetime() {
    String weak =
        t.token(
            null,
            List.of(AdminScopes.TOKENS_WRITE, AdminScopes.TOKENS_READ, AdminScopes.KEYS_READ));
    String strong = t.token(null, null);
    // wider scopes, one at a time and all at once
    for (Object scopes :
        List.of(
            List.of(AdminScopes.KEYS_WRITE),
            List.of(AdminScopes.KEYS_READ, AdminScopes.REPORT_READ),
            AdminScopes.ALL)) {
      JsonNode e =
          t.req("POST", "/v1/admin-tokens")
              .token(weak)
              .json(map("scopes", scopes))
              .send()
              .expect(403);
      assertThat(e.path("error").asText()).isEqualTo("scope_not_held");
    }
    // things that are not admin scopes, in any spelling
    for (Object scopes :
        List.of(
            List.of("root"),
            List.of("tokens:*"),
            List.of("KEYS:READ"),
            List.of("keys:read "),
            List.of("GET /v1/keys"),
            List.of())) {
      TestServer.Response r =
          t.req("POST", "/v1/admin-tokens").token(strong).json(map("scopes", scopes)).send();
      if (((List<?>) scopes).isEmpty()) {
        r.expect(201); // empty = the defaults
      } else {
        assertThat(r.expect(400).path("error").asText())
            .as(scopes.toString())
            .isEqualTo("invalid_scopes");
      }
    }
    // a stronger token can be neither rotated (its new secret would be in the answer) nor
    // revoked (locking its admin out) by a weaker one
    String strongId = idOf(strong);
    for (String action : List.of("rotate", "revoke")) {
      JsonNode e =
          t.req("POST", "/v1/admin-tokens/" + strongId + "/" + action)
              .token(weak)
              .json(action.equals("rotate") ? map("grace_period_hours", 0) : map("reason", "x"))
              .send()
              .expect(403);
      assertThat(e.path("error").asText()).isEqualTo("scope_not_held");
      assertThat(e.toString()).doesNotContain("kg_admin_");
    }
    assertThat(whoami(strong).path("key_id").asText()).isEqualTo(strongId);

    // an owner-limited token: its owner only, never an unrestricted token
    String acme =
        t.token(
            "acme",
            List.of(AdminScopes.TOKENS_WRITE, AdminScopes.TOKENS_READ, AdminScopes.KEYS_READ));
    for (Object owner : Arrays.asList(null, "globex", "ACME", "acme ")) {
      JsonNode e =
          t.req("POST", "/v1/admin-tokens")
              .token(acme)
              .json(owner == null ? map("scopes", List.of("keys:read")) : map("owner_id", owner))
              .send()
              .expect(400);
      assertThat(e.path("error").asText()).isEqualTo("invalid_owner_id");
    }
    String acmeChild =
        t.req("POST", "/v1/admin-tokens")
            .token(acme)
            .json(map("owner_id", "acme"))
            .send()
            .expect(201)
            .path("token")
            .asText();
    // without scopes: the owner-limited defaults (no tokens:write), narrowed to what acme holds
    assertThat(whoami(acmeChild).path("scopes").toString())
        .isEqualTo("[\"keys:read\",\"tokens:read\"]");
    for (String other : List.of(strongId, idOf(weak), idOf(t.token("globex", null)))) {
      assertThat(t.req("GET", "/v1/admin-tokens/" + other).token(acme).send().status())
          .isEqualTo(404);
      for (String action : List.of("rotate", "revoke")) {
        assertThat(
                t.req("POST", "/v1/admin-tokens/" + other + "/" + action)
                    .token(acme)
                    .json(map())
                    .send()
                    .status())
            .isEqualTo(404);
      }
    }
    JsonNode acmeList = t.req("GET", "/v1/admin-tokens").token(acme).send().expect(200);
    acmeList.path("data").forEach(x -> assertThat(x.path("owner_id").asText()).isEqualTo("acme"));
    assertThat(
            t.req("GET", "/v1/admin-tokens?owner_id=globex")
                .token(acme)
                .send()
                .expect(200)
                .path("data")
                .size())
        .isZero();

    // a customer's token from `admin create-token --owner-id` cannot mint tokens by default
    String selfService = t.token("acme", null);
    assertThat(whoami(selfService).path("scopes").toString()).doesNotContain("tokens:write");
    assertThat(
            t.req("POST", "/v1/admin-tokens")
                .token(selfService)
                .json(map("owner_id", "acme"))
                .send()
                .status())
        .isEqualTo(403);

    // and a child never outlives its parent
    String shortLived =
        t.post("/v1/admin-tokens", map("expires_in_days", 10)).expect(201).path("token").asText();
    JsonNode e =
        t.req("POST", "/v1/admin-tokens")
            .token(shortLived)
            .json(map("expires_in_days", 11))
            .send()
            .expect(403);
    assertThat(e.path("error").asText()).isEqualTo("expiry_beyond_own");
    JsonNode capped =
        t.req("POST", "/v1/admin-tokens").token(shortLived).json(map()).send().expect(201);
    assertThat(capped.path("expires_at").asText())
        .isEqualTo(t.clock.instant().plus(Duration.ofDays(10)).toString());
  }

  @Test
  void rotate_newTokenShownOnce_oldOneRefusedAfterTheGrace_successorSameScopesAndOwner() {
    JsonNode created =
        t.post("/v1/admin-tokens", map("owner_id", "acme", "scopes", List.of("keys:read")))
            .expect(201);
    String old = created.path("token").asText();
    JsonNode r =
        t.post(
                "/v1/admin-tokens/" + created.path("key_id").asText() + "/rotate",
                map("grace_period_hours", 1))
            .expect(201);
    String fresh = r.path("new_token").path("token").asText();
    assertThat(fresh).startsWith("kg_admin_").isNotEqualTo(old);
    assertThat(r.path("message").asText()).isEqualTo("Old token will be revoked in 1 hours");
    assertThat(whoami(fresh).path("scopes").toString()).isEqualTo("[\"keys:read\"]");
    assertThat(whoami(fresh).path("owner_id").asText()).isEqualTo("acme");
    assertThat(t.req("GET", "/v1/keys").token(old).send().status()).isEqualTo(200);
    t.clock.advance(Duration.ofHours(1));
    assertThat(t.req("GET", "/v1/keys").token(old).send().status()).isEqualTo(401);
    assertThat(t.req("GET", "/v1/keys").token(fresh).send().status()).isEqualTo(200);
    assertThat(
            t.get("/v1/admin-tokens/" + r.path("new_token").path("key_id").asText())
                .expect(200)
                .toString())
        .doesNotContain(fresh);
  }

  @Test
  void adminTokenPresentedAsApiKey_isAnUnknownKey_onVerifyAndAuthz_inEveryPresentation() {
    String token = t.token(null, null);
    JsonNode v = t.verify(token);
    assertThat(v.path("valid").asBoolean()).isFalse();
    assertThat(v.path("code").asText()).isEqualTo("invalid_key");
    assertThat(v.has("key_id") && !v.path("key_id").isNull()).isFalse();
    assertThat(v.path("owner_id").isNull() || v.path("owner_id").isMissingNode()).isTrue();
    for (String[] header :
        List.of(
            new String[] {"X-API-Key", token},
            new String[] {"Authorization", "Bearer " + token},
            new String[] {"Authorization", "bearer " + token})) {
      TestServer.Response r =
          t.req("GET", "/v1/authz").token(null).header(header[0], header[1]).send();
      assertThat(r.status()).as(header[0]).isEqualTo(401);
      assertThat(r.header("X-Keygate-Error")).isEqualTo("invalid_key");
      assertThat(r.header("X-Keygate-Key-Id")).isNull();
    }
    // the token itself still authenticates admin calls
    whoami(token);
  }
}
