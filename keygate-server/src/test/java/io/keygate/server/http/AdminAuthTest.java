package io.keygate.server.http;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdminAuthTest extends ServerPerTest {

  /** How many items {@code GET path} lists for {@code token}. */
  private int listedFor(String token, String path) {
    return t.req("GET", path).token(token).send().expect(200).path("data").size();
  }

  private void assertUnauthorized(TestServer.Response r, String messagePart) {
    assertThat(r.expect(401).path("error").asText()).isEqualTo("unauthorized");
    assertThat(r.json().path("message").asText()).contains(messagePart);
    assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"keygate\"");
  }

  @Test
  void noToken_is401WithChallenge_onEveryAdminRoute() {
    for (String[] call :
        new String[][] {
          {"GET", "/v1/keys"},
          {"POST", "/v1/keys"},
          {"GET", "/v1/keys/key_abc"},
          {"POST", "/v1/verify"},
          {"GET", "/v1/audit"}
        }) {
      assertUnauthorized(t.req(call[0], call[1]).token(null).send(), "admin token is required");
    }
  }

  @Test
  void malformedAuthorizationHeader_is401() {
    TestServer.Response r =
        t.req("GET", "/v1/keys").token(null).header("Authorization", "Basic Zm9vOmJhcg==").send();
    assertUnauthorized(r, "admin token is required");
    assertUnauthorized(t.req("GET", "/v1/keys").token("garbage").send(), "invalid_key");
  }

  @Test
  void ordinaryKeyUsedAsAdminToken_is401() {
    String raw =
        t.createKey("owner_id", "acme", "scopes", List.of("keys:read")).path("api_key").asText();
    assertUnauthorized(t.req("GET", "/v1/keys").token(raw).send(), "not an admin token");
  }

  @Test
  void revokedAdminToken_is401() {
    String token = t.token(null, null);
    t.req("GET", "/v1/keys").token(token).send().expect(200);
    String tokenId = t.server.keygate().verifier().find(token).orElseThrow().keyId();
    t.post("/v1/admin-tokens/" + tokenId + "/revoke", map("reason", "staff left")).expect(200);

    assertUnauthorized(t.req("GET", "/v1/keys").token(token).send(), "key_revoked");
  }

  @Test
  void expiredAdminToken_is401() {
    t.clock.advance(Duration.ofDays(366));
    assertUnauthorized(t.get("/v1/keys"), "key_expired");
  }

  @Test
  void tokenWithoutTheNeededScope_is403() {
    String readOnly = t.token(null, List.of(AdminScopes.KEYS_READ));

    t.req("GET", "/v1/keys").token(readOnly).send().expect(200);
    TestServer.Response r =
        t.req("POST", "/v1/keys").token(readOnly).json(map("owner_id", "acme")).send();
    JsonNode e = r.expect(403);
    assertThat(e.path("error").asText()).isEqualTo("forbidden");
    assertThat(e.path("message").asText()).contains("keys:write");
    assertThat(r.header("WWW-Authenticate")).isNull();
    assertThat(t.req("GET", "/v1/audit").token(readOnly).send().status()).isEqualTo(403);
    assertThat(t.get("/v1/keys?owner_id=acme").expect(200).path("data").size()).isZero();
  }

  @Test
  void ownerRestrictedToken_seesAndChangesOnlyItsOwnersKeys() {
    String mine = t.createKey("owner_id", "alice").path("key_id").asText();
    JsonNode theirs = t.createKey("owner_id", "bob");
    String theirsId = theirs.path("key_id").asText();
    String alice = t.token("alice", null);

    // visible and changeable
    t.req("GET", "/v1/keys/" + mine).token(alice).send().expect(200);
    t.req("PATCH", "/v1/keys/" + mine).token(alice).json(map("name", "n")).send().expect(200);

    // another owner's key does not exist for this token: 404, not 403
    for (String[] call : KeyRoutesTest.PER_KEY_ROUTES) {
      JsonNode e =
          t.req(call[0], "/v1/keys/" + theirsId + call[1])
              .token(alice)
              .json(map())
              .send()
              .expect(404);
      assertThat(e.path("error").asText()).as(call[0] + call[1]).isEqualTo("not_found");
    }
    assertThat(t.verify(theirs.path("api_key").asText()).path("code").asText()).isEqualTo("valid");
    assertThat(t.get("/v1/keys/" + theirsId).expect(200).path("name").asText()).isEmpty();

    // listing is confined to the owner, whatever filter is asked for
    JsonNode listed = t.req("GET", "/v1/keys").token(alice).send().expect(200);
    assertThat(KeyRoutesTest.ids(listed)).contains(mine).doesNotContain(theirsId);
    listed.path("data").forEach(k -> assertThat(k.path("owner_id").asText()).isEqualTo("alice"));
    assertThat(listedFor(alice, "/v1/keys?owner_id=bob")).isZero();

    // creating for someone else is refused; for itself it works
    JsonNode refused =
        t.req("POST", "/v1/keys").token(alice).json(map("owner_id", "bob")).send().expect(400);
    assertThat(refused.path("error").asText()).isEqualTo("invalid_owner_id");
    t.req("POST", "/v1/keys").token(alice).json(map("owner_id", "alice")).send().expect(201);

    // the audit log is confined too
    JsonNode audit = t.req("GET", "/v1/audit?limit=500").token(alice).send().expect(200);
    audit.path("data").forEach(ev -> assertThat(ev.path("owner_id").asText()).isEqualTo("alice"));
    assertThat(listedFor(alice, "/v1/audit?owner_id=bob")).isZero();
  }
}
