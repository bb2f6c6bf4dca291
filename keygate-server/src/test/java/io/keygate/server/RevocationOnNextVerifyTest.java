package io.keygate.server;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Issue 2, "Must show": revocation holds on the very next verify, although the key was cached. */
class RevocationOnNextVerifyTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;
  TestServer t;
  String id;
  String raw;

  @BeforeEach
  void start() {
    t = servers.start(dir);
    JsonNode k = t.createKey("owner_id", "acme");
    id = k.path("key_id").asText();
    raw = k.path("api_key").asText();
  }

  @Test
  void revoke_cachedKey_isRefusedOnTheVeryNextVerify() {
    assertThat(t.verify(raw).path("code").asText()).isEqualTo("valid");
    assertThat(t.verify(raw).path("code").asText()).isEqualTo("valid");
    assertThat(t.server.keygate().verifier().find(raw)).isPresent();
    assertThat(t.server.keygate().verifier().cachedKeys()).isPositive();

    t.post("/v1/keys/" + id + "/revoke", map("reason", "leaked")).expect(200);

    assertThat(t.verify(raw).path("code").asText()).isEqualTo("key_revoked");
  }

  @Test
  void revoke_cachedKey_isRefusedOnTheVeryNextForwardAuth() {
    authz(200);
    authz(200);
    t.post("/v1/keys/" + id + "/revoke", map()).expect(200);
    assertThat(authz(401)).isEqualTo("key_revoked");
  }

  @Test
  void disableAndScopeChanges_ofACachedKey_holdOnTheNextVerifyToo() {
    authz(200);
    t.post("/v1/keys/" + id + "/disable", null).expect(200);
    assertThat(authz(401)).isEqualTo("key_disabled");
    t.post("/v1/keys/" + id + "/enable", null).expect(200);
    authz(200);
    t.patch("/v1/keys/" + id, map("ip_allowlist", List.of("10.0.0.0/8"))).expect(200);
    assertThat(authz(403)).isEqualTo("ip_not_allowed");
  }

  /** The {@code X-Keygate-Error} of an authz answer of {@code status}. */
  private String authz(int status) {
    return t.req("GET", "/v1/authz")
        .token(null)
        .header("X-API-Key", raw)
        .send()
        .expectAuthz(status);
  }
}
