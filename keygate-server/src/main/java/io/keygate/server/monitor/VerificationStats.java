package io.keygate.server.monitor;

import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerificationListener;
import io.keygate.core.verify.VerifyRequest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The verifier's first listener on a node: Prometheus counters per outcome code and a latency
 * histogram (usage analytics and anomaly detection are listeners of their own).
 *
 * <p>Cheap on the hot path: meters are created once up front, one per outcome, so a call is an
 * array lookup and two atomic adds. Thread-safe.
 */
public final class VerificationStats implements VerificationListener {
  private final Map<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);
  private final Timer latency;

  /** Registers the meters on {@code registry}. */
  public VerificationStats(MeterRegistry registry) {
    for (Outcome o : Outcome.values()) {
      outcomes.put(
          o,
          Counter.builder("keygate_verifications")
              .description("Key verifications by outcome code")
              .tag("code", o.code())
              .register(registry));
    }
    this.latency =
        Timer.builder("keygate_verify_latency")
            .description("Time to verify a key (parse, hash, cache/store, checks)")
            .publishPercentileHistogram()
            // A cache hit takes microseconds: the default buckets start at 1 ms and would put every
            // verification in the first one. A cold lookup on a slow store can take seconds.
            .minimumExpectedValue(Duration.ofNanos(1_000))
            .maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry);
  }

  /** Verifications counted for {@code outcome} since start. */
  public long count(Outcome outcome) {
    return (long) outcomes.get(outcome).count();
  }

  /** Counts by outcome code (for the report and tests). */
  public List<String> codes() {
    List<String> out = new ArrayList<>();
    outcomes.keySet().forEach(o -> out.add(o.code()));
    return out;
  }

  @Override
  public void onVerification(
      VerifyRequest request, Verification result, Instant at, long elapsedNanos) {
    outcomes.get(result.outcome()).increment();
    latency.record(elapsedNanos, TimeUnit.NANOSECONDS);
  }
}
