package io.keygate.bench;

import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.store.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.ObjIntConsumer;

/**
 * Inserts many freshly minted {@code live_secret} keys straight into a store, in transactions of
 * {@code batch} keys, for the benchmarks that need a large dataset. Each raw key is handed to the
 * caller once and kept nowhere else.
 */
final class BulkLoad {
  private BulkLoad() {}

  /**
   * Mints and stores {@code n} keys hashed with {@code hasher} (pepper version 1), printing
   * progress every 100,000 keys on stderr.
   *
   * @param onKey receives each raw key with its index
   */
  static void load(
      KeyStore store, KeyHasher hasher, int n, int batch, ObjIntConsumer<String> onKey) {
    KeyFormat format = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);
    KeyType type = format.types().byName(KeyTypes.DEFAULT).orElseThrow();
    KeySettings settings = new KeySettings("bench", List.of("read"), List.of(), List.of(), null);
    Instant now = Instant.now();
    long t0 = System.nanoTime();
    for (int from = 0; from < n; from += batch) {
      int to = Math.min(n, from + batch);
      int start = from;
      store.inTransaction(
          tx -> {
            for (int i = start; i < to; i++) {
              String key = format.generate(type).reveal();
              onKey.accept(key, i);
              tx.insertKey(
                  new ApiKeyRecord(
                      "key_bench" + i,
                      type.name(),
                      KeyFormat.hint(type, key),
                      hasher.hash(key),
                      1,
                      "owner-" + (i % 1000),
                      settings,
                      KeyStatus.ACTIVE,
                      now,
                      now,
                      now.plus(Duration.ofDays(365)),
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      0));
            }
            return null;
          });
      if (to % 100_000 == 0 || to == n) {
        System.err.printf(
            "loaded %,d keys in %,d s%n", to, (System.nanoTime() - t0) / 1_000_000_000L);
      }
    }
  }
}
