package io.keygate.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Checks the throughput corpus's correctness (not its speed: nothing here is timed). */
class ScanThroughputTest {
  @Test
  void corpus_everyPlantedKeyFoundAndNoLookAlike() throws IOException {
    int[] planted = new int[1];
    byte[] data = ScanThroughput.corpus(3, 7, planted);
    ScanStats stats = new ScanStats();

    Scanner.builder().build().scanStream("-", new ByteArrayInputStream(data), stats, f -> {});

    assertThat(planted[0]).isGreaterThan(40);
    assertThat(stats.findings()).isEqualTo(planted[0]);
    assertThat(stats.bytes()).isEqualTo(data.length);
  }
}
