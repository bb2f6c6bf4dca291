package io.keygate.bench;

import io.keygate.core.Keygate;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.Pepper;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.store.jdbc.JdbcStores;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Cold verification against a large PostgreSQL dataset: bulk-loads N keys (default 1,000,000) into
 * a fresh schema, then verifies a random sample with the verification cache disabled, so every call
 * is one indexed lookup by hash over loopback, and prints p50/p99/max. The schema is dropped at the
 * end.
 *
 * <p>Run: {@code java -cp keygate-bench/target/benchmarks.jar io.keygate.bench.ColdLookup
 * 'jdbc:postgresql://127.0.0.1:5432/test?user=postgres' 1000000 10000}
 */
public final class ColdLookup {
  private ColdLookup() {}

  /** Arguments: JDBC URL, number of keys, number of sampled verifications. */
  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int samples = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
    String schema = "kg_bench_" + Long.toHexString(System.nanoTime());
    SecureRandom rnd = new SecureRandom();
    byte[] secret = new byte[32];
    rnd.nextBytes(secret);
    Pepper pepper = new Pepper(1, secret);
    KeyHasher hasher = new KeyHasher(List.of(pepper));
    String[] sample = new String[samples];
    int every = Math.max(1, n / samples);
    try (KeyStore store = JdbcStores.fromUrl(url).schema(schema).build()) {
      BulkLoad.load(
          store,
          hasher,
          n,
          5_000,
          (key, i) -> {
            if (i % every == 0 && i / every < samples) {
              sample[i / every] = key;
            }
          });
      Keygate kg = Keygate.builder().store(store).pepper(pepper).cache(0, Duration.ZERO).build();
      int m = (int) Arrays.stream(sample).filter(s -> s != null).count();
      long[] micros = new long[m];
      for (int w = 0; w < Math.min(1000, m); w++) { // warm up JIT and the pool
        kg.verifier().verify(VerifyRequest.of(sample[w]));
      }
      for (int i = 0; i < m; i++) {
        long s = System.nanoTime();
        if (!kg.verifier().verify(VerifyRequest.of(sample[i])).valid()) {
          throw new IllegalStateException("sample key " + i + " did not verify");
        }
        micros[i] = (System.nanoTime() - s) / 1000;
      }
      Arrays.sort(micros);
      System.out.printf(
          "keys: %,d; cold verifications: %,d; p50 %.2f ms; p99 %.2f ms; max %.2f ms%n",
          n, m, micros[m / 2] / 1000.0, micros[(int) (m * 0.99)] / 1000.0, micros[m - 1] / 1000.0);
    } finally {
      try (Connection c = DriverManager.getConnection(url);
          Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }
}
