package io.keygate.scan;

import io.keygate.core.key.KeyType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Measures the scanner's single-thread throughput on plain text. Not a unit test and not timed by
 * any test: run it by hand (the JMH benchmark lives in its own module).
 *
 * <pre>
 * ./mvnw -q -pl keygate-scan test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java -cp keygate-scan/target/test-classes:keygate-scan/target/classes:$(cat keygate-scan/cp.txt) \
 *     io.keygate.scan.ScanThroughput [megabytes]
 * </pre>
 *
 * <p>It generates about 200 MB (or the given size) of log- and source-like ASCII text with
 * snake_case identifiers, URLs, look-alikes and a real key every ~64 KiB, scans it from memory with
 * {@link Scanner#scanStream} eight times on one thread and prints, per run, MB/s by wall-clock time
 * and by the thread's CPU time (the per-core figure, robust to a loaded machine).
 */
public final class ScanThroughput {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private ScanThroughput() {}

  /** Generates the text; every key it plants is real and on its own word boundary. */
  static byte[] corpus(int megabytes, long seed, int[] plantedOut) {
    Random rnd = new Random(seed);
    String[] words = {
      "user_id",
      "request",
      "GET",
      "/v1/keys",
      "status=200",
      "latency_ms=12",
      "the",
      "and",
      "sk_",
      "pk_live",
      "trace_id=4bf92f3577b34da6",
      "INFO",
      "WARN",
      "snake_case_name",
      "if",
      "return",
      "x_forwarded_for",
      "{\"ok\":true}",
      "0x7f",
      "__init__",
      "https://example.test/a_b",
    };
    List<KeyType> types = Keys.TYPES.all();
    int target = megabytes * 1_000_000;
    StringBuilder sb = new StringBuilder(target + 1024);
    int planted = 0;
    int nextKeyAt = 65536;
    while (sb.length() < target) {
      int n = 4 + rnd.nextInt(14);
      for (int i = 0; i < n; i++) {
        sb.append(words[rnd.nextInt(words.length)]).append(' ');
      }
      if (sb.length() >= nextKeyAt) {
        sb.append(Keys.real(types.get(planted % types.size()))).append(' ');
        sb.append(Keys.badChecksum(types.get(planted % types.size()))).append(' ');
        planted++;
        nextKeyAt += 65536;
      }
      sb.append('\n');
    }
    plantedOut[0] = planted;
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** Prints MB/s for eight single-threaded scans of the generated text. */
  public static void main(String[] args) throws IOException {
    int mb = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int[] planted = new int[1];
    byte[] data = corpus(mb, 1, planted);
    Scanner scanner = Scanner.builder().build();
    System.out.printf(
        Locale.ROOT, "corpus: %.1f MB, %d real keys planted%n", data.length / 1e6, planted[0]);
    for (int run = 1; run <= 8; run++) {
      ScanStats stats = new ScanStats();
      long cpu0 = THREADS.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      scanner.scanStream("-", new ByteArrayInputStream(data), stats, f -> {});
      double secs = (System.nanoTime() - t0) / 1e9;
      double cpuSecs = (THREADS.getCurrentThreadCpuTime() - cpu0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "run %d: %.1f MB in %.3f s wall = %.0f MB/s; %.3f s CPU = %.0f MB/s per core;"
              + " %d findings%n",
          run,
          data.length / 1e6,
          secs,
          data.length / 1e6 / secs,
          cpuSecs,
          data.length / 1e6 / cpuSecs,
          stats.findings());
      if (stats.findings() != planted[0]) {
        throw new IllegalStateException(
            "expected " + planted[0] + " findings, got " + stats.findings());
      }
    }
  }
}
