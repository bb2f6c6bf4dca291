package io.keygate.bench;

import io.keygate.core.Keygate;
import io.keygate.core.audit.AuditKey;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.model.RateLimit;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.store.jdbc.JdbcStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Fixture shared by the benchmarks: a Keygate over a real SQLite store in a temporary directory
 * holding {@code n} freshly minted keys. The raw keys live only in memory for the benchmark.
 */
final class BenchKeys implements AutoCloseable {
  final Path dir;
  final KeyStore store;
  final Keygate keygate;
  final List<String> keys = new ArrayList<>();

  BenchKeys(int n, long cacheSize) {
    this(n, cacheSize, null);
  }

  /** As above, every key carrying {@code rateLimits} (null = none). */
  BenchKeys(int n, long cacheSize, List<RateLimit> rateLimits) {
    try {
      dir = Files.createTempDirectory("keygate-bench");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] auditKey = new byte[32]; // a throwaway store: its audit log is never verified later
    new SecureRandom().nextBytes(auditKey);
    store =
        JdbcStores.sqlite(dir).auditKeys(new AuditKeys(List.of(new AuditKey(1, auditKey)))).build();
    byte[] pepper = new byte[32];
    new SecureRandom().nextBytes(pepper);
    keygate =
        Keygate.builder()
            .store(store)
            .pepper(new Pepper(1, pepper))
            .cache(cacheSize, Duration.ofHours(1))
            .build();
    for (int i = 0; i < n; i++) {
      keys.add(
          keygate
              .keys()
              .create(
                  new CreateKey(
                      null, "owner-" + (i % 100), "bench", null, null, rateLimits, null, null),
                  Actor.SYSTEM)
              .secret()
              .reveal());
    }
  }

  /**
   * One {@code GET /v1/data} request with scope {@code read} from {@code 10.0.0.1} per key, each
   * verified once (which warms the cache when it has room).
   *
   * @throws IllegalStateException when a key does not verify
   */
  VerifyRequest[] verifiedRequests() {
    VerifyRequest[] requests =
        keys.stream()
            .map(k -> new VerifyRequest(k, "10.0.0.1", List.of("read"), "GET", "/v1/data"))
            .toArray(VerifyRequest[]::new);
    for (VerifyRequest r : requests) {
      if (!keygate.verifier().verify(r).valid()) {
        throw new IllegalStateException("fixture key did not verify");
      }
    }
    return requests;
  }

  @Override
  public void close() {
    store.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
