package io.keygate.core.testing;

import io.keygate.core.audit.AuditKeys;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.store.KeyStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the contract tests of the stores that live over a {@link KeyStore}'s database (notify,
 * monitor, anomaly) share: a fresh key store per test linking audit events under {@link
 * #auditKeys}, the store under test over it, closed after the test, and the fixtures for racing
 * threads and random ids.
 *
 * @param <S> the store under test
 */
public abstract class StoreContract<S> {
  /** Threads {@link #race} starts at once. */
  protected static final int THREADS = 8;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** The audit keys {@link #newKeyStore()} must give the store. */
  protected final AuditKeys auditKeys = TestAuditKeys.random();

  /** This test's key store. */
  protected KeyStore keys;

  /** The store under test, over {@link #keys}' database. */
  protected S store;

  /** A new, empty key store linking audit events under {@link #auditKeys}. */
  protected abstract KeyStore newKeyStore();

  /** The store under test over {@code keys}' database. */
  protected abstract S openStore(KeyStore keys);

  @BeforeEach
  void open() {
    keys = newKeyStore();
    store = openStore(keys);
  }

  @AfterEach
  void close() {
    if (keys != null) {
      keys.close();
    }
  }

  /** Inserts {@code records} into {@link #keys} in one transaction. */
  protected final void insert(ApiKeyRecord... records) {
    keys.inTransaction(
        tx -> {
          for (ApiKeyRecord r : records) {
            tx.insertKey(r);
          }
          return null;
        });
  }

  /** Runs {@code work} on {@link #THREADS} threads released together; their results in order. */
  protected static <T> List<T> race(Callable<T> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  return work.call();
                }));
      }
      start.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : done) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** {@code bytes} random bytes in lower-case hex, for ids. */
  protected static String hex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
