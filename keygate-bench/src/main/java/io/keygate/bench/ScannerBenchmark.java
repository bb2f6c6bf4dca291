package io.keygate.bench;

import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import io.keygate.scan.Finding;
import io.keygate.scan.Scanner;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Random;
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
import org.openjdk.jmh.annotations.Threads;

/**
 * Scanner throughput on plain text, single-threaded (one core): a generated 16 MB corpus of
 * log/source-like lines full of underscores and identifiers with one real key every ~64 KB. Report
 * figure: ops/s × 16 MB = MB/s per core. Target (PRODUCT.md §9): ≥ 100 MB/s.
 *
 * <p>{@code imported}: the imported prefixes the scanner also looks for — none (the baseline), a
 * Keygate-style one ({@code acme_}, found by the underscore search) or one that is not ({@code
 * Acme-}, one extra pass comparing literal bytes). Compare the three within one run.
 *
 * <p>Run: {@code bench/jmh.sh} or {@code java -jar keygate-bench/target/benchmarks.jar
 * ScannerBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
public class ScannerBenchmark {
  /** Corpus size in bytes. */
  public static final int CORPUS_BYTES = 16 * 1024 * 1024;

  /** Imported prefixes scanned for: {@code none}, {@code acme_} or {@code Acme-}. */
  @Param({"none", "acme_", "Acme-"})
  public String imported;

  private byte[] corpus;
  private Scanner scanner;
  private int expected;

  /** Generates the corpus. */
  @Setup(Level.Trial)
  public void setup() {
    Random r = new Random(42);
    KeyFormat format = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);
    String[] words = {
      "user_id",
      "request_id=",
      "sk_live_",
      "pk_test",
      "GET",
      "/v1/data",
      "status=200",
      "the",
      "token_type",
      "rk_",
      "snake_case_name",
      "2026-11-28T10:00:00Z",
      "{\"a\":1}",
      "INFO",
      "_"
    };
    StringBuilder sb = new StringBuilder(CORPUS_BYTES + 1024);
    int keys = 0;
    while (sb.length() < CORPUS_BYTES) {
      int len = 8 + r.nextInt(12);
      for (int w = 0; w < len; w++) {
        sb.append(words[r.nextInt(words.length)]).append(' ');
      }
      if (r.nextInt(800) == 0) {
        sb.append("key=")
            .append(format.generate(format.types().byName("live_secret").get()).reveal());
        keys++;
      }
      sb.append('\n');
    }
    corpus = sb.toString().getBytes(StandardCharsets.US_ASCII);
    expected = keys;
    scanner =
        Scanner.builder()
            .importedPrefixes(imported.equals("none") ? List.of() : List.of(imported))
            .build();
    if (scan().size() != expected) {
      throw new IllegalStateException("scanner found a different number of keys than planted");
    }
  }

  /** Scans the whole corpus once. */
  @Benchmark
  public List<Finding> scan() {
    return scanner.scan("corpus.log", corpus);
  }
}
