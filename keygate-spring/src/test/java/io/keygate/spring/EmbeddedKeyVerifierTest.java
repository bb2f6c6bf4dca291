package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.Keygate;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.store.KeyStore;
import io.keygate.store.jdbc.JdbcStores;
import java.nio.file.Path;
import java.security.SecureRandom;
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
        JdbcStores.sqlite(dir)
            .auditKeys(
                new io.keygate.core.audit.AuditKeys(
                    List.of(new io.keygate.core.audit.AuditKey(1, auditKey))))
            .build();
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
}
