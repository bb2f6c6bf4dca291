package io.keygate.redis;

import io.keygate.core.Keygate;
import io.keygate.core.key.Pepper;
import io.keygate.core.testing.InMemoryKeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * What the tests of nodes sharing one store and one real Redis ({@link TestRedis}) have in common:
 * the store, the nodes' Redis clients (closed after each test) and the nodes over both.
 */
abstract class SharedStoreNodes {
  private static final byte[] PEPPER = new byte[32];

  /** The database every node of this test shares. */
  protected final InMemoryKeyStore store = new InMemoryKeyStore();

  private final List<KeygateRedis> open = new ArrayList<>();

  @AfterEach
  void closeRedisClients() {
    open.forEach(KeygateRedis::close);
  }

  /**
   * A client of the Redis at {@code uri} under {@code prefix} for a cluster of {@code nodes}, with
   * commands timing out after {@code commandTimeout} and the breaker open for 500 ms; closed after
   * the test.
   */
  protected final KeygateRedis redis(
      String uri, String prefix, Duration commandTimeout, RateLimitFallback fallback, int nodes) {
    KeygateRedis r =
        KeygateRedis.builder()
            .uri(uri)
            .prefix(prefix)
            .commandTimeout(commandTimeout)
            .breakerOpenFor(Duration.ofMillis(500))
            .fallback(fallback)
            .nodes(nodes)
            .build();
    open.add(r);
    return r;
  }

  /** A node over the shared store (pepper version 1) and {@code redis}, to finish building. */
  protected final Keygate.Builder nodeBuilder(KeygateRedis redis) {
    return Keygate.builder().store(store).pepper(new Pepper(1, PEPPER)).cluster(redis);
  }
}
