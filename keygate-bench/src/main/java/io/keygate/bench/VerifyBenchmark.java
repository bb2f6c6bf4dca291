package io.keygate.bench;

import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Full in-process verification ({@code Verifier.verify}) of valid keys with a required scope: parse
 * + checksum, HMAC, lookup, state, allowlist, scopes, in-memory usage recording.
 *
 * <ul>
 *   <li>{@code cache=hit}: every key is in the Caffeine cache (the steady state); compare with
 *       {@link BaselineBenchmark#hmacPlusMapGet}.
 *   <li>{@code cache=miss}: the cache holds nothing, so every call reads SQLite by hash (the cold
 *       path's cost).
 * </ul>
 *
 * <p>Run: {@code bench/jmh.sh} or {@code java -jar keygate-bench/target/benchmarks.jar
 * VerifyBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class VerifyBenchmark {
  @Param({"hit", "miss"})
  public String cache;

  private BenchKeys fixture;
  private VerifyRequest[] requests;

  /** Per-thread cursor. */
  @State(Scope.Thread)
  public static class Cursor {
    int i;
  }

  /** Mints 2,000 keys in SQLite and warms the cache for {@code hit}. */
  @Setup(Level.Trial)
  public void setup() {
    fixture = new BenchKeys(2_000, "hit".equals(cache) ? 100_000 : 0);
    requests = fixture.verifiedRequests();
  }

  /** Removes the temporary store. */
  @TearDown(Level.Trial)
  public void tearDown() {
    fixture.close();
  }

  /** One verification. */
  @Benchmark
  public Verification verify(Cursor c) {
    return fixture.keygate.verifier().verify(requests[c.i++ % requests.length]);
  }
}
