package io.keygate.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A lookup in a Caffeine cache configured like the verifier's (bounded size, expire after write,
 * stats) holding 100,000 entries keyed by 64-char hex hashes.
 *
 * <p>Run: {@code bench/jmh.sh} or {@code java -jar keygate-bench/target/benchmarks.jar
 * CacheLookupBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CacheLookupBenchmark {
  private static final int N = 100_000;
  private Cache<String, Object> cache;
  private String[] hashes;

  /** Per-thread cursor. */
  @State(Scope.Thread)
  public static class Cursor {
    int i;
  }

  /** Fills the cache. */
  @Setup(Level.Trial)
  public void setup() {
    cache =
        Caffeine.newBuilder()
            .maximumSize(1_000_000)
            .expireAfterWrite(Duration.ofHours(1))
            .recordStats()
            .build();
    SecureRandom rnd = new SecureRandom();
    hashes = new String[N];
    for (int i = 0; i < N; i++) {
      byte[] b = new byte[32];
      rnd.nextBytes(b);
      hashes[i] = HexFormat.of().formatHex(b);
      cache.put(hashes[i], Integer.valueOf(i));
    }
  }

  /** One {@code getIfPresent}. */
  @Benchmark
  public Object lookup(Cursor c) {
    return cache.getIfPresent(hashes[c.i++ % N]);
  }
}
