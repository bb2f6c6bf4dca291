package io.keygate.core.monitor;

import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.LeakAction;
import io.keygate.core.leaks.LeakIncident;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Leak incidents reported in a period, for the security report and {@code GET /v1/leaks}.
 *
 * <p>Key counts are distinct keys; canaries are counted apart and never as leaked keys. The
 * revocation figures cover only incidents that revoked (or rotated) a live key: canaries, test
 * keys, catches recorded before exposure, repeats and reports of keys already revoked stay out, so
 * the averages say how fast a real leak was closed.
 *
 * @param total incidents
 * @param bySource incidents per source ({@code github}, {@code gitleaks}, {@code keygate-scan}, …)
 * @param exposedKeys distinct keys (not canaries) found where others could read them
 * @param preventedKeys distinct keys (not canaries) caught before exposure and kept
 * @param canaryIncidents incidents of canary keys
 * @param testKeys distinct test keys among the exposed and prevented keys
 * @param revoked incidents whose key was revoked or rotated (test keys included)
 * @param exposureToRevocation exposure → revocation over revoked live keys
 * @param reportToRevocation report → revocation over the same incidents
 * @param basis where the figures come from ({@code leak_incidents} or {@code outbox events})
 */
public record LeakStats(
    long total,
    Map<String, Long> bySource,
    long exposedKeys,
    long preventedKeys,
    long canaryIncidents,
    long testKeys,
    long revoked,
    Figures exposureToRevocation,
    Figures reportToRevocation,
    String basis) {

  /**
   * Mean and 95th percentile (nearest rank) of a set of durations.
   *
   * @param count how many durations
   * @param meanMillis their mean in milliseconds, or -1 when {@code count} is 0
   * @param p95Millis their 95th percentile in milliseconds, or -1 when {@code count} is 0
   */
  public record Figures(long count, double meanMillis, long p95Millis) {
    /** No durations. */
    public static final Figures NONE = new Figures(0, -1, -1);

    /** The figures of {@code millis} (copied and sorted). */
    public static Figures of(Collection<Long> millis) {
      if (millis.isEmpty()) {
        return NONE;
      }
      List<Long> sorted = new ArrayList<>(millis);
      sorted.sort(null);
      double sum = 0;
      for (long m : sorted) {
        sum += m;
      }
      int rank = (int) Math.ceil(0.95 * sorted.size());
      return new Figures(sorted.size(), sum / sorted.size(), sorted.get(Math.max(0, rank - 1)));
    }
  }

  /** Copies the map. */
  public LeakStats {
    bySource = Map.copyOf(bySource);
  }

  /** Mean exposure → revocation in milliseconds, or -1. */
  public double avgMillisToRevocation() {
    return exposureToRevocation.meanMillis();
  }

  /** The statistics of {@code incidents} (all of one period). */
  public static LeakStats of(Collection<LeakIncident> incidents, String basis) {
    Map<String, Long> bySource = new TreeMap<>();
    Set<String> exposed = new HashSet<>();
    Set<String> prevented = new HashSet<>();
    Set<String> test = new HashSet<>();
    long canaries = 0;
    long revoked = 0;
    List<Long> fromExposure = new ArrayList<>();
    List<Long> fromReport = new ArrayList<>();
    for (LeakIncident i : incidents) {
      bySource.merge(i.source(), 1L, Long::sum);
      if (i.action() == LeakAction.CANARY_RECORDED) {
        canaries++;
        continue;
      }
      (i.exposure() == Exposure.PREVENTED ? prevented : exposed).add(i.keyId());
      if (!i.liveKey()) {
        test.add(i.keyId());
      }
      boolean closed = i.action() == LeakAction.REVOKED || i.action() == LeakAction.ROTATED;
      if (!closed) {
        continue;
      }
      revoked++;
      if (i.liveKey()) {
        fromExposure.add(millis(i.timeToRevocation()));
        fromReport.add(millis(i.reportToRevocation()));
      }
    }
    prevented.removeAll(exposed);
    return new LeakStats(
        incidents.size(),
        bySource,
        exposed.size(),
        prevented.size(),
        canaries,
        test.size(),
        revoked,
        Figures.of(fromExposure),
        Figures.of(fromReport),
        basis);
  }

  private static long millis(Duration d) {
    return d == null ? 0 : d.toMillis();
  }
}
