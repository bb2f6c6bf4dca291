package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.monitor.RecordedSettings;
import io.keygate.core.store.KeyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The report settings record ({@link MonitorStore#recordReportSettings}) on SQLite and PostgreSQL.
 */
class JdbcMonitorStoreTest {
  private static final List<String> SCHEMAS = new CopyOnWriteArrayList<>();
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir static Path tmp;

  static Stream<String> stores() {
    return Stream.of("sqlite", "postgresql");
  }

  private static KeyStore open(String kind) throws Exception {
    if (kind.equals("sqlite")) {
      return JdbcStores.sqlite(Files.createTempDirectory(tmp, "data")).build();
    }
    TestPostgres pg = TestPostgres.get();
    String schema = pg.newSchema();
    SCHEMAS.add(schema);
    return pg.builder(schema).build();
  }

  @AfterAll
  static void dropSchemas() {
    SCHEMAS.forEach(TestPostgres.get()::dropSchema);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void reportSettings_noneUntilRecorded_thenTheLastRecordWins(String kind) throws Exception {
    try (KeyStore ks = open(kind)) {
      MonitorStore ms = JdbcExtensions.monitorStore(ks).orElseThrow();
      assertThat(ms.reportSettings()).isEmpty();

      RecordedSettings first = new RecordedSettings("host-a (node-1)", T0, "{\"platform\":\"A\"}");
      ms.recordReportSettings(first);
      assertThat(ms.reportSettings()).contains(first);

      RecordedSettings second =
          new RecordedSettings("host-b (node-2)", T0.plusSeconds(60), "{\"platform\":\"B\"}");
      ms.recordReportSettings(second);
      assertThat(ms.reportSettings()).contains(second);
    }
  }
}
