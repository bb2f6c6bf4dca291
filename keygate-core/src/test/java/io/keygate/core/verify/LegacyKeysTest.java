package io.keygate.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.ImportKey;
import io.keygate.core.lifecycle.KeyImporter;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.testing.InMemoryKeyStore;
import io.keygate.core.testing.TestKeys;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class LegacyKeysTest {
  private final InMemoryKeyStore store = new InMemoryKeyStore();
  private final Keygate kg =
      Keygate.builder().store(store).pepper(new Pepper(1, new byte[32])).build();
  private final KeyImporter importer =
      new KeyImporter(
          store, kg.format(), kg.hasher(), kg.keys().policy(), kg.clock(), SecureRandom::new);

  private static String rawKey(String prefix) {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }

  private ApiKeyRecord importRaw(String raw, String prefix) {
    ApiKeyRecord r =
        importer.importKey(TestKeys.imported(raw, prefix, "owner_l", "legacy"), Actor.SYSTEM);
    kg.verifier().legacyKeys().refresh();
    return r;
  }

  private Outcome verify(String raw) {
    return kg.verifier().verify(VerifyRequest.of(raw)).outcome();
  }

  @Test
  void importedKey_withoutChecksum_verifies_andIsRehashedOnFirstUse() {
    String raw = rawKey("acme_");
    ApiKeyRecord imported = importRaw(raw, "acme_");
    assertThat(kg.verifier().legacyKeys().prefixes()).containsExactly("acme_");

    assertThat(verify(raw)).isEqualTo(Outcome.VALID);

    ApiKeyRecord now = store.findById(imported.keyId()).orElseThrow();
    assertThat(now.hash()).isEqualTo(kg.hasher().hash(raw));
    assertThat(store.findByLegacySha256(LegacyKeys.sha256Hex(raw))).isEmpty();
    assertThat(store.audit(new AuditQuery(imported.keyId(), null, 10, null)))
        .anyMatch(e -> e.entry().action().equals("key.rehashed"));
    kg.verifier().invalidateAll();
    assertThat(verify(raw)).isEqualTo(Outcome.VALID); // now by its keyed hash
  }

  @Test
  void importedPrefix_unknownKey_isInvalid_andOtherLookAlikesStillRejectedOffline() {
    importRaw(rawKey("acme_"), "acme_");
    assertThat(verify(rawKey("acme_"))).isEqualTo(Outcome.INVALID_KEY);
    assertThat(verify(rawKey("other_"))).isEqualTo(Outcome.INVALID_KEY);
  }

  @Test
  void revokedImportedKey_staysRevoked() {
    String raw = rawKey("acme_");
    ApiKeyRecord imported = importRaw(raw, "acme_");
    kg.keys().revoke(imported.keyId(), "migrated badly", Actor.SYSTEM);
    assertThat(verify(raw)).isEqualTo(Outcome.KEY_REVOKED);
  }

  @Test
  void import_badFields_areRejectedWithPreciseErrors_andDuplicatesConflict() {
    assertThatThrownBy(
            () ->
                importer.importKey(
                    new ImportKey("xyz", null, null, "o", null, null, null, null, null, null, null),
                    Actor.SYSTEM))
        .isInstanceOf(KeygateException.InvalidRequest.class)
        .hasMessageContaining("sha256");
    String raw = rawKey("acme_");
    importRaw(raw, "acme_");
    assertThatThrownBy(() -> importRaw(raw, "acme_")).isInstanceOf(KeygateException.Conflict.class);
  }
}
