package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobLeasesTest {
  @TempDir Path dir;
  private final ManualClock clock = new ManualClock();

  private void leaseLifecycle(KeyStore store) {
    JobLeases a = JobLeases.of(store, "node-a", clock).orElseThrow();
    JobLeases b = JobLeases.of(store, "node-b", clock).orElseThrow();
    Duration lease = Duration.ofSeconds(120);
    assertThat(a.tryAcquire("sweep", lease)).isTrue();
    assertThat(b.tryAcquire("sweep", lease)).isFalse();
    clock.advance(Duration.ofSeconds(60));
    assertThat(a.tryAcquire("sweep", lease)).as("holder renews").isTrue();
    clock.advance(Duration.ofSeconds(100));
    assertThat(b.tryAcquire("sweep", lease)).as("renewed lease still held").isFalse();
    assertThat(b.tryAcquire("other", lease)).as("jobs are independent").isTrue();
    clock.advance(Duration.ofSeconds(21));
    assertThat(b.tryAcquire("sweep", lease)).as("lapsed lease taken over").isTrue();
    assertThat(a.tryAcquire("sweep", lease)).isFalse();
    b.release("sweep");
    assertThat(a.tryAcquire("sweep", lease)).as("released").isTrue();
  }

  private void exactlyOneWinsUnderConcurrency(KeyStore store) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> fs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        JobLeases l = JobLeases.of(store, "node-" + i, clock).orElseThrow();
        fs.add(pool.submit(() -> l.tryAcquire("race", Duration.ofMinutes(2))));
      }
      int winners = 0;
      for (Future<Boolean> f : fs) {
        winners += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(winners).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void sqlite_leaseIsExclusive_renewable_andTakenOverAfterItLapses() throws Exception {
    try (KeyStore store = JdbcStores.sqlite(dir).build()) {
      leaseLifecycle(store);
      exactlyOneWinsUnderConcurrency(store);
    }
  }

  @Test
  void postgres_leaseIsExclusive_renewable_andTakenOverAfterItLapses() throws Exception {
    TestPostgres pg = TestPostgres.get();
    String schema = pg.newSchema();
    try (KeyStore store = pg.builder(schema).build()) {
      leaseLifecycle(store);
      exactlyOneWinsUnderConcurrency(store);
    } finally {
      pg.dropSchema(schema);
    }
  }
}
