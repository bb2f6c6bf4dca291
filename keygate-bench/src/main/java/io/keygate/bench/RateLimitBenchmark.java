package io.keygate.bench;

import io.keygate.core.model.RateLimit;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Full in-process verification on a cache hit of keys that each carry two named rate limits (a
 * per-second burst and a per-day bucket, both far above what the benchmark can spend), so every
 * call also checks and takes a token from the in-process Bucket4j buckets. Compare with {@link
 * VerifyBenchmark} ({@code cache=hit}, no limits) and {@link BaselineBenchmark}.
 *
 * <p>Run: {@code bench/jmh.sh} or {@code java -jar keygate-bench/target/benchmarks.jar
 * RateLimitBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RateLimitBenchmark {
  private BenchKeys fixture;
  private VerifyRequest[] requests;

  /** Per-thread cursor. */
  @State(Scope.Thread)
  public static class Cursor {
    int i;
  }

  /** Mints 2,000 rate-limited keys and warms the cache. */
  @Setup(Level.Trial)
  public void setup() {
    fixture =
        new BenchKeys(
            2_000,
            100_000,
            List.of(
                new RateLimit("burst", 1_000_000_000L, Duration.ofSeconds(1)),
                new RateLimit("daily", 1_000_000_000L, Duration.ofDays(1))));
    requests = fixture.verifiedRequests();
  }

  /** Removes the temporary store. */
  @TearDown(Level.Trial)
  public void tearDown() {
    fixture.close();
  }

  /** One verification including the rate-limit check. */
  @Benchmark
  public Verification verifyWithRateLimits(Cursor c) {
    return fixture.keygate.verifier().verify(requests[c.i++ % requests.length]);
  }
}
