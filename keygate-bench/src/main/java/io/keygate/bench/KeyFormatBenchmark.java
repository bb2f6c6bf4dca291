package io.keygate.bench;

import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.key.Pepper;
import java.security.SecureRandom;
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

/**
 * The two steps before any lookup: offline parse + CRC-32 checksum check ({@code
 * KeyFormat.identify}) and the keyed hash ({@code KeyHasher.hash}, HMAC-SHA256 with a thread-local
 * Mac).
 *
 * <p>Run: {@code bench/jmh.sh} or {@code java -jar keygate-bench/target/benchmarks.jar
 * KeyFormatBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KeyFormatBenchmark {
  private final KeyFormat format = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);
  private KeyHasher hasher;
  private String[] keys;

  /** Per-thread cursor. */
  @State(Scope.Thread)
  public static class Cursor {
    int i;
  }

  /** Mints 1,024 keys. */
  @Setup(Level.Trial)
  public void setup() {
    byte[] pepper = new byte[32];
    new SecureRandom().nextBytes(pepper);
    hasher = new KeyHasher(List.of(new Pepper(1, pepper)));
    KeyType t = format.types().byName("live_secret").orElseThrow();
    keys = new String[1024];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = format.generate(t).reveal();
    }
  }

  /** Parse + checksum. */
  @Benchmark
  public KeyType identify(Cursor c) {
    return format.identify(keys[c.i++ & 1023]);
  }

  /** HMAC-SHA256 of a key, hex encoded. */
  @Benchmark
  public String hmac(Cursor c) {
    return hasher.hash(keys[c.i++ & 1023]);
  }
}
