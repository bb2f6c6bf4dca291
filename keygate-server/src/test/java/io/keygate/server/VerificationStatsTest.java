package io.keygate.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.server.monitor.Monitoring;
import io.keygate.server.monitor.VerificationStats;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class VerificationStatsTest {
  /** The latency histogram of a Prometheus scrape: bucket bound (seconds) to cumulative count. */
  private static TreeMap<Double, Double> buckets(String scrape) {
    String prefix = "keygate_verify_latency_seconds_bucket{le=\"";
    TreeMap<Double, Double> out = new TreeMap<>();
    scrape
        .lines()
        .filter(l -> l.startsWith(prefix))
        .forEach(
            l -> {
              String le = l.substring(prefix.length(), l.indexOf("\"}"));
              double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
              out.put(bound, Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)));
            });
    return out;
  }

  @Test
  void latencyHistogram_resolvesMicrosecondVerifications() {
    PrometheusMeterRegistry registry = Monitoring.newRegistry();
    VerificationStats stats = new VerificationStats(registry);
    Verification v =
        new Verification.Rejected(Outcome.INVALID_KEY, null, "the API key is not valid");
    stats.onVerification(VerifyRequest.of(null), v, Instant.EPOCH, 20_000); // 20 µs
    stats.onVerification(VerifyRequest.of(null), v, Instant.EPOCH, 2_000_000); // 2 ms

    TreeMap<Double, Double> b = buckets(registry.scrape());
    assertThat(b.firstKey()).isLessThanOrEqualTo(2e-6); // buckets start at about 1 µs
    assertThat(b.lowerKey(Double.POSITIVE_INFINITY)).isGreaterThanOrEqualTo(10.0);
    // the 20 µs verification is counted by a bucket under 50 µs, the 2 ms one only above 1 ms
    Map.Entry<Double, Double> under50us = b.floorEntry(50e-6);
    assertThat(under50us.getKey()).isGreaterThanOrEqualTo(20e-6);
    assertThat(under50us.getValue()).isEqualTo(1.0);
    assertThat(b.floorEntry(1e-3).getValue()).isEqualTo(1.0);
    assertThat(b.get(Double.POSITIVE_INFINITY)).isEqualTo(2.0);
    assertThat(stats.count(Outcome.INVALID_KEY)).isEqualTo(2);
  }
}
