package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.Keygate;
import io.keygate.core.audit.AuditKey;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.events.EventTypes;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.BruteForceGuard;
import io.keygate.store.jdbc.JdbcStores;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In-process verification over a real SQLite store. */
class EmbeddedKeyVerifierTest {
  @TempDir Path dir;
  private KeyStore store;
  private Keygate kg;
  private KeyVerifier verifier;

  @BeforeEach
  void open() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    byte[] auditKey = new byte[32];
    new SecureRandom().nextBytes(auditKey);
    store =
        JdbcStores.sqlite(dir).auditKeys(new AuditKeys(List.of(new AuditKey(1, auditKey)))).build();
    kg = Keygate.builder().store(store).pepper(new Pepper(1, secret)).build();
    verifier = KeyVerifier.embedded(kg);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private CreatedKey create(List<String> scopes, List<String> allow) {
    return kg.keys()
        .create(new CreateKey(null, "acme", "test", scopes, allow, null, 30, null), Actor.SYSTEM);
  }

  private static KeyRequest req(CreatedKey k, String ip, String... scopes) {
    return new KeyRequest(k.secret().reveal(), ip, List.of(scopes), "GET", "/api/data");
  }

  @Test
  void verify_validKey_yieldsPrincipalWithIdOwnerTypeScopes() {
    CreatedKey k = create(List.of("read", "write"), List.of());
    KeyVerdict v = verifier.verify(req(k, "203.0.113.7", "read"));
    assertThat(v.valid()).isTrue();
    assertThat(v.principal())
        .isEqualTo(
            new KeygatePrincipal(
                k.record().keyId(), "acme", "live_secret", List.of("read", "write")));
  }

  @Test
  void verify_adminToken_isRefusedAsAnUnknownKey_withoutAPrincipal() {
    String token = kg.adminTokens().create(null, null, "ops", null, Actor.SYSTEM).secret().reveal();
    KeyVerdict v = verifier.verify(new KeyRequest(token, "203.0.113.7", List.of(), "GET", "/"));
    assertThat(v.valid()).isFalse();
    assertThat(v.code()).isEqualTo("invalid_key");
    assertThat(v.httpStatus()).isEqualTo(401);
    assertThat(v.principal()).isNull();
  }

  @Test
  void verify_refusals_mapToOutcomeCodesAndStatuses() {
    CreatedKey k = create(List.of("read"), List.of("203.0.113.0/24"));
    assertThat(verifier.verify(req(k, "198.51.100.1")))
        .extracting(KeyVerdict::code, KeyVerdict::httpStatus)
        .containsExactly("ip_not_allowed", 403);
    KeyVerdict scope = verifier.verify(req(k, "203.0.113.7", "admin"));
    assertThat(scope.code()).isEqualTo("insufficient_scope");
    assertThat(scope.message()).contains("[admin]");
    kg.keys().revoke(k.record().keyId(), "test", Actor.SYSTEM);
    assertThat(verifier.verify(req(k, "203.0.113.7")))
        .extracting(KeyVerdict::code, KeyVerdict::httpStatus)
        .containsExactly("key_revoked", 401);
    assertThat(verifier.verify(new KeyRequest(TestKeys.wellFormed(), null, List.of(), "GET", "/")))
        .extracting(KeyVerdict::code, KeyVerdict::httpStatus)
        .containsExactly("invalid_key", 401);
  }

  @Test
  void verify_storeFault_isUnavailable() {
    store.close();
    String key = TestKeys.wellFormed();
    assertThatThrownBy(() -> verifier.verify(new KeyRequest(key, null, List.of(), "GET", "/")))
        .isInstanceOf(KeygateUnavailableException.class)
        .hasMessageNotContaining(key);
  }

  @Test
  void verify_keysEndpointRules_seeTheMethodAndPath() {
    CreatedKey k = create(List.of("GET /api/data/**"), List.of());
    String key = k.secret().reveal();
    assertThat(verifier.verify(new KeyRequest(key, null, List.of(), "GET", "/api/data/1")).valid())
        .isTrue();
    assertThat(
            verifier.verify(new KeyRequest(key, null, List.of(), "DELETE", "/api/data/1")).code())
        .isEqualTo("insufficient_scope");
    assertThat(verifier.verify(new KeyRequest(key, null, List.of(), null, null)).code())
        .as("fails closed without method and path")
        .isEqualTo("insufficient_scope");
  }

  @Test
  void keyInUrl_notifiesTheOwner_andCountsTowardsBruteForce() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    kg =
        Keygate.builder()
            .store(store)
            .pepper(new Pepper(1, secret))
            .bruteForce(
                new BruteForceGuard.Policy(
                    2, Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofHours(1)))
            .build();
    verifier = KeyVerifier.embedded(kg);
    CreatedKey k = create(List.of("read"), List.of());
    String target = "/api/data?auth=Bearer%20" + k.secret().reveal();
    assertThat(verifier.keyInUrl(target, "203.0.113.7").code()).isEqualTo("api_key_in_url");
    assertThat(verifier.keyInUrl(target, "203.0.113.7").code()).isEqualTo("api_key_in_url");
    assertThat(verifier.keyInUrl(target, "203.0.113.7"))
        .extracting(KeyVerdict::code, KeyVerdict::httpStatus)
        .containsExactly("rate_limited", 429);
    assertThat(verifier.verify(req(k, "203.0.113.7")).code()).isEqualTo("rate_limited");
    assertThat(verifier.verify(req(k, "203.0.113.8")).valid()).isTrue();
    kg.flushUsage();
    assertThat(store.outbox("acme", k.record().keyId(), 10))
        .filteredOn(e -> e.type().equals(EventTypes.KEY_EXPOSED_IN_URL))
        .hasSize(1);
  }
}
