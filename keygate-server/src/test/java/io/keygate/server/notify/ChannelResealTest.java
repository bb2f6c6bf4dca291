package io.keygate.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.audit.AuditEntry;
import io.keygate.core.notify.DataCipher;
import io.keygate.core.notify.DataKey;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.notify.StoredOwner;
import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.TestAuditKeys;
import io.keygate.store.jdbc.JdbcExtensions;
import io.keygate.store.jdbc.JdbcStores;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Re-sealing owner channels over a real SQLite store. */
class ChannelResealTest {
  @TempDir Path dir;
  KeyStore keyStore;
  NotifyStore store;
  final DataCipher cipher = new DataCipher(List.of(key(1)), SecureRandom::new);

  static DataKey key(int v) {
    byte[] b = new byte[32];
    Arrays.fill(b, (byte) (v * 7));
    return new DataKey(v, b);
  }

  @BeforeEach
  void open() {
    keyStore = JdbcStores.sqlite(dir).auditKeys(TestAuditKeys.random()).build();
    store = JdbcExtensions.notifyStore(keyStore).orElseThrow();
  }

  @AfterEach
  void close() {
    keyStore.close();
  }

  private void insert(String ownerId) {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    String json = "{\"emails\":[\"" + ownerId + "@example.test\"]}";
    store.insertOwner(
        new StoredOwner(ownerId, ownerId, cipher.seal(json, Owners.context(ownerId)), now, now),
        new AuditEntry(now, "test", "owner.created", ownerId, ownerId, null, Map.of()));
  }

  private String sealed(String ownerId) {
    return store.findOwner(ownerId).orElseThrow().sealedChannels();
  }

  @Test
  void run_resealsOlderRowsInBatches_leavesTamperedOnes_andARerunChangesNothing() {
    for (int i = 0; i < 7; i++) {
      insert("owner" + i);
    }
    String tampered = sealed("owner3");
    String forged = tampered.substring(0, tampered.length() - 4) + "AAAA";
    assertThat(store.replaceSealedChannels("owner3", tampered, forged)).isTrue();
    cipher.reload(List.of(key(1), key(2)));
    assertThat(new ChannelReseal(store, cipher).countByVersion()).isEqualTo(Map.of(1, 7L));

    List<ChannelReseal.Progress> batches = new ArrayList<>();
    ChannelReseal.Progress p = new ChannelReseal(store, cipher).run(3, batches::add);

    assertThat(p).isEqualTo(new ChannelReseal.Progress(7, 6, 0, 1));
    assertThat(batches).extracting(ChannelReseal.Progress::scanned).containsExactly(3L, 6L, 7L);
    for (int i = 0; i < 7; i++) {
      String s = sealed("owner" + i);
      if (i == 3) {
        assertThat(s).isEqualTo(forged);
      } else {
        assertThat(DataCipher.versionOf(s)).isEqualTo(2);
        assertThat(cipher.open(s, Owners.context("owner" + i))).contains("owner" + i + "@");
      }
    }
    assertThat(new ChannelReseal(store, cipher).countByVersion()).isEqualTo(Map.of(1, 1L, 2, 6L));
    assertThat(new ChannelReseal(store, cipher).run(3, q -> {}))
        .isEqualTo(new ChannelReseal.Progress(7, 0, 0, 1));
  }

  @Test
  void replaceSealedChannels_rowChangedSinceItWasRead_isNotOverwritten() {
    insert("acme");
    String read = sealed("acme");
    String concurrent = cipher.seal("{\"emails\":[\"new@example.test\"]}", Owners.context("acme"));
    assertThat(store.replaceSealedChannels("acme", read, concurrent)).isTrue();

    String resealed = cipher.seal("{\"emails\":[]}", Owners.context("acme"));
    assertThat(store.replaceSealedChannels("acme", read, resealed)).isFalse();
    assertThat(sealed("acme")).isEqualTo(concurrent);
    assertThat(store.replaceSealedChannels("nobody", read, resealed)).isFalse();
  }
}
