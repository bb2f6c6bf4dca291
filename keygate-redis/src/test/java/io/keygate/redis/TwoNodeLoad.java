package io.keygate.redis;

import io.keygate.core.Keygate;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.VerifyRequest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/** Concurrent verifications of one key spread over two nodes, for the shared-state tests. */
final class TwoNodeLoad {
  private TwoNodeLoad() {}

  /** {@link #outcomes(Keygate, Keygate, int, Function)} of verifying {@code key}. */
  static Map<Outcome, Long> outcomes(Keygate a, Keygate b, CreatedKey key, int perThread)
      throws Exception {
    return outcomes(
        a,
        b,
        perThread,
        node -> node.verifier().verify(VerifyRequest.of(key.secret().reveal())).outcome());
  }

  /**
   * Runs {@code call} {@code perThread} times from each of 8 threads, even threads on node {@code
   * a}, odd ones on {@code b}, and counts the outcomes.
   */
  static Map<Outcome, Long> outcomes(
      Keygate a, Keygate b, int perThread, Function<Keygate, Outcome> call) throws Exception {
    ConcurrentHashMap<Outcome, LongAdder> counts = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        Keygate node = t % 2 == 0 ? a : b;
        fs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    Outcome o = call.apply(node);
                    counts.computeIfAbsent(o, x -> new LongAdder()).increment();
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    Map<Outcome, Long> out = new EnumMap<>(Outcome.class);
    counts.forEach((o, n) -> out.put(o, n.sum()));
    return out;
  }
}
