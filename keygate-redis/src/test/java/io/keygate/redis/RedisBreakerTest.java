package io.keygate.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisBreakerTest {
  private static final Duration OPEN_FOR = Duration.ofSeconds(5);
  private final ManualClock clock = new ManualClock();
  private final RedisBreaker breaker = new RedisBreaker(OPEN_FOR, clock);

  @Test
  void oneFailure_opensForTheWholePeriod_thenExactlyOneProbe_whoseSuccessCloses() {
    assertThat(breaker.allow()).isTrue();
    assertThat(breaker.failure(new IllegalStateException("down"))).as("just opened").isTrue();
    assertThat(breaker.allow()).isFalse();
    clock.advance(OPEN_FOR);
    assertThat(breaker.allow()).as("still open at the end of the period").isFalse();
    clock.advance(Duration.ofMillis(1));

    assertThat(breaker.allow()).as("the probe").isTrue();
    assertThat(breaker.allow()).as("only one probe at a time").isFalse();
    assertThat(breaker.allow()).isFalse();
    assertThat(breaker.success()).as("just closed").isTrue();

    assertThat(breaker.isOpen()).isFalse();
    assertThat(breaker.allow()).isTrue();
    assertThat(breaker.success()).as("already closed").isFalse();
  }

  @Test
  void failedProbe_reopensForAnotherPeriod_withoutReportingANewOutage() {
    assertThat(breaker.allow()).isTrue();
    breaker.failure(new IllegalStateException("down"));
    clock.advance(OPEN_FOR.plusMillis(1));
    assertThat(breaker.allow()).as("the probe").isTrue();
    assertThat(breaker.failure(new IllegalStateException("still down")))
        .as("it was not closed")
        .isFalse();
    assertThat(breaker.isOpen()).isTrue();
    clock.advance(OPEN_FOR);
    assertThat(breaker.allow()).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(breaker.allow()).isTrue();
  }
}
