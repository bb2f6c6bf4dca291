package io.keygate.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CommandTimeoutsTest {
  private final KeygateRedis.CommandTimeouts timeouts =
      new KeygateRedis.CommandTimeouts(Duration.ofMillis(50), Duration.ofSeconds(2));

  /**
   * Regression: SUBSCRIBE ran under the 50 ms hot-path budget, so a node starting on a loaded
   * machine failed with RedisCommandTimeoutException (seen in RevocationWithoutRedisTest).
   */
  @Test
  void subscriptionCommands_getTheConnectTimeout_everythingElseTheCommandTimeout() {
    for (CommandType t :
        new CommandType[] {
          CommandType.SUBSCRIBE,
          CommandType.UNSUBSCRIBE,
          CommandType.PSUBSCRIBE,
          CommandType.PUNSUBSCRIBE
        }) {
      assertThat(nanos(t)).as(t.name()).isEqualTo(Duration.ofSeconds(2).toNanos());
    }
    for (CommandType t :
        new CommandType[] {CommandType.EVALSHA, CommandType.PUBLISH, CommandType.GET}) {
      assertThat(nanos(t)).as(t.name()).isEqualTo(Duration.ofMillis(50).toNanos());
    }
  }

  private long nanos(CommandType type) {
    return timeouts.getTimeUnit().toNanos(timeouts.getTimeout(new Command<>(type, null)));
  }
}
