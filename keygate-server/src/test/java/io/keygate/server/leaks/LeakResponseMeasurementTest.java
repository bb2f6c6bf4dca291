package io.keygate.server.leaks;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.LeakServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures, over 200 leak reports sent through HTTP to a real server on SQLite, the time from the
 * moment the client sends a report to the key's revocation ({@code revoked_at}) and to the owner
 * notification ({@code key.leaked} outbox event {@code created_at}). Prints p50/p99; asserts only
 * correctness (figures go to docs/benchmarks.md, "Leak response").
 *
 * <p>Run: {@code ./mvnw -o -pl keygate-server test -Dtest=LeakResponseMeasurementTest}
 */
class LeakResponseMeasurementTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final int REPORTS = 200;

  @TempDir Path dir;

  @Test
  void reportToRevocationAndNotification_p50p99() {
    try (LeakServer s = servers.startLeaks(dir.resolve("data"), LeakConfig.defaults())) {
      List<String[]> keys = new ArrayList<>();
      for (int i = 0; i < REPORTS + 20; i++) {
        keys.add(s.createKey("bench", "live_secret"));
      }
      List<Long> toRevocation = new ArrayList<>();
      List<Long> toEvent = new ArrayList<>();
      List<Long> serverSide = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        String[] k = keys.get(i);
        byte[] body =
            ("{\"findings\":[{\"key\":\"" + k[1] + "\",\"file\":\"f.py\",\"line\":1}]}")
                .getBytes(StandardCharsets.UTF_8);
        long sent = System.currentTimeMillis();
        LeakServer.Response r =
            s.send(
                "POST",
                "/v1/leaks/reports?format=keygate",
                s.adminToken,
                body,
                "Content-Type",
                "application/json");
        assertThat(r.json().get("revoked").asInt()).isEqualTo(1);
        if (i < 20) {
          continue; // warm-up
        }
        LeakIncident inc =
            s.server
                .keygate()
                .store()
                .incidents(new IncidentQuery(null, k[0], 1, null))
                .items()
                .get(0);
        OutboxEvent ev =
            s.server.keygate().store().outbox(null, k[0], 10).stream()
                .filter(e -> e.type().equals(EventTypes.KEY_LEAKED))
                .findFirst()
                .orElseThrow();
        toRevocation.add(inc.revokedAt().toEpochMilli() - sent);
        toEvent.add(ev.createdAt().toEpochMilli() - sent);
        serverSide.add(inc.revokedAt().toEpochMilli() - inc.reportedAt().toEpochMilli());
      }
      System.out.printf(
          "Leak response over %d HTTP reports (ms): report->revoked p50=%d p99=%d max=%d;"
              + " report->key.leaked event p50=%d p99=%d max=%d;"
              + " server reported_at->revoked_at p50=%d p99=%d%n",
          REPORTS,
          pct(toRevocation, 50),
          pct(toRevocation, 99),
          pct(toRevocation, 100),
          pct(toEvent, 50),
          pct(toEvent, 99),
          pct(toEvent, 100),
          pct(serverSide, 50),
          pct(serverSide, 99));
      assertThat(toRevocation).hasSize(REPORTS);
    }
  }

  private static long pct(List<Long> xs, int p) {
    List<Long> s = new ArrayList<>(xs);
    Collections.sort(s);
    int idx = (int) Math.ceil(p / 100.0 * s.size()) - 1;
    return s.get(Math.max(0, Math.min(s.size() - 1, idx)));
  }
}
