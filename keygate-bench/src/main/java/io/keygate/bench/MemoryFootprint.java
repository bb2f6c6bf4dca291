package io.keygate.bench;

import io.keygate.core.Keygate;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.Pepper;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.store.jdbc.JdbcStores;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

/**
 * Measures the verification cache's memory: heap per cached key (heap after GC with N keys cached
 * minus heap after GC with none, divided by N) and the process RSS with N keys cached. Keys are
 * inserted straight into a real SQLite store in batches, then each is verified once so it sits in
 * the cache exactly as in production.
 *
 * <p>Run: {@code java -Xmx4g -cp keygate-bench/target/benchmarks.jar
 * io.keygate.bench.MemoryFootprint 1000000}
 */
public final class MemoryFootprint {
  private MemoryFootprint() {}

  /** Entry point; the argument is the number of keys (default 1,000,000). */
  public static void main(String[] args) throws IOException {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    Path dir = Files.createTempDirectory("keygate-mem");
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    Pepper pepper = new Pepper(1, secret);
    KeyHasher hasher = new KeyHasher(List.of(pepper));
    String[] keys = new String[n];
    try (KeyStore store = JdbcStores.sqlite(dir).build()) {
      BulkLoad.load(store, hasher, n, 10_000, (key, i) -> keys[i] = key);
      Keygate kg =
          Keygate.builder()
              .store(store)
              .pepper(pepper)
              .cache(n + 1000L, Duration.ofHours(1))
              .build();
      long before = heapAfterGc();
      for (int i = 0; i < n; i++) {
        if (!kg.verifier().verify(VerifyRequest.of(keys[i])).valid()) {
          throw new IllegalStateException("key " + i + " did not verify");
        }
      }
      long after = heapAfterGc();
      System.out.printf(
          "keys cached: %,d%nheap per cached key: %,d bytes%nheap with cache: %,d MB%nRSS: %s%n",
          kg.verifier().cachedKeys(), (after - before) / n, after / (1024 * 1024), rss());
    }
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static String rss() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return line.substring(6).trim();
      }
    }
    return "unknown";
  }
}
