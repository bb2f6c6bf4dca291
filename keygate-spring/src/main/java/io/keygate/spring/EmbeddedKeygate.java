package io.keygate.spring;

import io.keygate.core.Keygate;
import io.keygate.core.key.Pepper;
import io.keygate.core.key.SecretFile;
import io.keygate.core.store.KeyStore;
import io.keygate.store.jdbc.JdbcStores;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process Keygate of {@code keygate.mode=embedded}: the server's database (through
 * keygate-store-jdbc) and pepper file, a verification cache whose TTL bounds how late a revocation
 * made by the server is seen, and a daemon thread that flushes batched usage counts.
 *
 * <p><b>Security guarantees.</b> Refuses a pepper file that group or others can read, and never
 * logs pepper material. {@link #close()} stops the flusher, writes pending usage and closes the
 * store. Thread-safe.
 */
final class EmbeddedKeygate implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKeygate.class);

  /** Keys held by the embedded verification cache. */
  static final long CACHE_SIZE = 100_000;

  private final KeyStore store;
  private final Keygate keygate;
  private final ScheduledExecutorService flusher;

  private EmbeddedKeygate(KeyStore store, Keygate keygate, Duration flushEvery) {
    this.store = store;
    this.keygate = keygate;
    this.flusher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keygate-usage-flush");
              t.setDaemon(true);
              return t;
            });
    long ms = flushEvery.toMillis();
    flusher.scheduleWithFixedDelay(this::flushQuietly, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** Opens the store at {@code databaseUrl} with the peppers of {@code pepperFile}. */
  static EmbeddedKeygate open(
      String databaseUrl, Path pepperFile, Duration cacheTtl, Duration flushEvery) {
    if (databaseUrl == null || databaseUrl.isBlank()) {
      throw new IllegalStateException("keygate.mode=embedded needs keygate.database-url");
    }
    if (pepperFile == null) {
      throw new IllegalStateException("keygate.mode=embedded needs keygate.pepper-file");
    }
    if (cacheTtl == null || cacheTtl.isNegative()) {
      throw new IllegalArgumentException("keygate.cache-ttl must be >= 0, was " + cacheTtl);
    }
    if (flushEvery == null || flushEvery.isNegative() || flushEvery.isZero()) {
      throw new IllegalArgumentException(
          "keygate.usage-flush-interval must be positive, was " + flushEvery);
    }
    List<Pepper> peppers = loadPeppers(pepperFile);
    KeyStore store = JdbcStores.fromUrl(databaseUrl).build();
    try {
      Keygate kg =
          Keygate.builder().store(store).peppers(peppers).cache(CACHE_SIZE, cacheTtl).build();
      return new EmbeddedKeygate(store, kg, flushEvery);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** The core. */
  Keygate keygate() {
    return keygate;
  }

  private void flushQuietly() {
    try {
      keygate.flushUsage();
    } catch (RuntimeException e) {
      LOG.warn("Keygate usage flush failed, will retry: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    flusher.shutdownNow();
    flushQuietly();
    store.close();
  }

  /**
   * Reads a pepper file in the server's format ({@link SecretFile}: one {@code v<N>:<base64>} line
   * per version); refuses a file readable by group or others.
   */
  static List<Pepper> loadPeppers(Path file) {
    try {
      return SecretFile.load(file, "pepper").stream()
          .map(v -> new Pepper(v.version(), v.secret()))
          .toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read pepper file " + file + ": " + e, e);
    }
  }
}
