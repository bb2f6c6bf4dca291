package io.keygate.bench;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The baseline every in-process figure is compared with: the least a key check can cost — one
 * HMAC-SHA256 of a key (with a per-thread {@link Mac}, hex-encoded like Keygate's stored hash) and
 * one {@link ConcurrentHashMap#get}. PRODUCT.md §9: verify on a cache hit must reach at least 0.5×
 * this throughput.
 *
 * <p>Run: {@code bench/jmh.sh} (all benchmarks, one run) or {@code java -jar
 * keygate-bench/target/benchmarks.jar BaselineBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BaselineBenchmark {
  private static final int N = 10_000;

  private final ConcurrentHashMap<String, Object> map = new ConcurrentHashMap<>();
  private String[] keys;
  private byte[] secret;

  /** Per-thread state: a Mac and a cursor over the keys. */
  @State(Scope.Thread)
  public static class PerThread {
    Mac mac;
    int i;

    /** Builds the thread's Mac. */
    @Setup(Level.Trial)
    public void setup(BaselineBenchmark b) throws Exception {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(b.secret, "HmacSHA256"));
    }
  }

  /** Fills the map with the hashes of {@value #N} key-shaped strings. */
  @Setup(Level.Trial)
  public void setup() throws Exception {
    SecureRandom rnd = new SecureRandom();
    secret = new byte[32];
    rnd.nextBytes(secret);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    keys = new String[N];
    for (int i = 0; i < N; i++) {
      byte[] b = new byte[37];
      rnd.nextBytes(b);
      keys[i] = "sk_live_" + HexFormat.of().formatHex(b).substring(0, 49);
      map.put(
          HexFormat.of().formatHex(mac.doFinal(keys[i].getBytes(StandardCharsets.US_ASCII))),
          Integer.valueOf(i));
    }
  }

  /** One HMAC-SHA256 (hex) plus one map lookup. */
  @Benchmark
  public Object hmacPlusMapGet(PerThread t) {
    String k = keys[t.i++ % N];
    String h = HexFormat.of().formatHex(t.mac.doFinal(k.getBytes(StandardCharsets.US_ASCII)));
    return map.get(h);
  }
}
