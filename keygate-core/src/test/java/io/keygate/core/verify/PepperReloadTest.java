package io.keygate.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.Keygate;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.InMemoryKeyStore;
import io.keygate.core.testing.ManualClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pepper rotation on one running {@link Keygate}: {@link KeyHasher#reload} swaps the versions under
 * live verification, without a new instance.
 */
class PepperReloadTest {
  private static final Pepper V1 = pepper(1);
  private static final Pepper V2 = pepper(2);
  private static final Actor ADMIN = new Actor("key_admin", null, "198.51.100.9");

  private final ManualClock clock = new ManualClock();
  private final InMemoryKeyStore store = new InMemoryKeyStore();
  private final Keygate kg =
      Keygate.builder().store(store).peppers(List.of(V1)).clock(clock).build();

  static Pepper pepper(int v) {
    return new Pepper(
        v,
        ("pepper-reload-test-version-" + v + "-padding-32b").getBytes(StandardCharsets.US_ASCII));
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private CreatedKey create() {
    return kg.keys()
        .create(new CreateKey(null, "acme", "test", null, null, null, null, null), ADMIN);
  }

  private boolean valid(CreatedKey k) {
    return kg.verifier().verify(VerifyRequest.of(k.secret().reveal())).valid();
  }

  private ApiKeyRecord stored(CreatedKey k) {
    return store.findById(k.record().keyId()).orElseThrow();
  }

  @Test
  void reload_newVersion_oldKeyVerifiesAndIsRehashed_newKeysUseIt_thenOldVersionRetires() {
    CreatedKey before = create();
    CreatedKey idle = create();
    assertThat(valid(before)).isTrue(); // cached under its v1 hash

    assertThat(kg.hasher().reload(List.of(V1, V2))).isTrue();

    assertThat(valid(before)).isTrue();
    assertThat(stored(before).pepperVersion()).isEqualTo(2);
    assertThat(stored(before).hash()).isEqualTo(kg.hasher().hash(2, before.secret().reveal()));
    CreatedKey after = create();
    assertThat(after.record().pepperVersion()).isEqualTo(2);
    assertThat(valid(after)).isTrue();
    assertThat(stored(idle).pepperVersion()).isEqualTo(1);

    kg.hasher().reload(List.of(V2));
    kg.verifier().invalidateAll();
    assertThat(valid(before)).isTrue();
    assertThat(valid(after)).isTrue();
    assertThat(valid(idle)).as("a key never presented under v1+v2 goes with v1").isFalse();
  }

  /**
   * Regression (flaky {@code reload_whileThreadsCreateAndVerify…}): a verification that began under
   * v1 read the store by the key's v1 hash just after a reload and another verification, under v2,
   * had re-hashed the row to v2; it then found the key under no version and refused a valid key.
   */
  @Test
  void verify_racingARehashUnderANewerVersion_stillFindsTheKey() throws Exception {
    CreatedKey k = create();
    String v1Hash = k.record().hash();
    AtomicReference<Keygate> node = new AtomicReference<>();
    AtomicBoolean raced = new AtomicBoolean();
    ExecutorService other = Executors.newSingleThreadExecutor();
    KeyStore racing =
        (KeyStore)
            Proxy.newProxyInstance(
                KeyStore.class.getClassLoader(),
                new Class<?>[] {KeyStore.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("findByHash")
                      && v1Hash.equals(args[0])
                      && raced.compareAndSet(false, true)) {
                    // Between this lookup's start and its read: a reload, then another request
                    // that re-hashes the key under v2.
                    node.get().hasher().reload(List.of(V1, V2));
                    Future<Boolean> second =
                        other.submit(
                            () ->
                                node.get()
                                    .verifier()
                                    .verify(VerifyRequest.of(k.secret().reveal()))
                                    .valid());
                    assertThat(second.get(10, TimeUnit.SECONDS)).isTrue();
                  }
                  try {
                    return method.invoke(store, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    node.set(Keygate.builder().store(racing).peppers(List.of(V1)).clock(clock).build());
    try {
      assertThat(node.get().verifier().verify(VerifyRequest.of(k.secret().reveal())).valid())
          .isTrue();
    } finally {
      other.shutdownNow();
    }
    assertThat(raced).isTrue();
    assertThat(stored(k).pepperVersion()).isEqualTo(2);
  }

  @Test
  void reload_lowerCurrentVersion_isRefused_andVersionsStay() {
    kg.hasher().reload(List.of(V1, V2));
    CreatedKey k = create();
    try {
      kg.hasher().reload(List.of(V1));
      throw new AssertionError("a reload back to v1 must be refused");
    } catch (IllegalStateException e) {
      assertThat(e).hasMessageContaining("from v2 back to v1");
    }
    assertThat(kg.hasher().versions()).containsExactly(1, 2);
    assertThat(valid(k)).isTrue();
  }

  @Test
  void reload_whileThreadsCreateAndVerify_everyKeyIsStoredUnderTheVersionOfItsHash()
      throws Exception {
    List<CreatedKey> old = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      old.add(create());
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    AtomicBoolean stop = new AtomicBoolean();
    List<Future<List<CreatedKey>>> made = new ArrayList<>();
    try {
      for (int t = 0; t < 4; t++) {
        int offset = t;
        made.add(
            pool.submit(
                () -> {
                  List<CreatedKey> mine = new ArrayList<>();
                  for (int i = offset; !stop.get(); i++) {
                    assertThat(valid(old.get(i % old.size()))).isTrue();
                    mine.add(create());
                  }
                  return mine;
                }));
      }
      Thread.sleep(100);
      kg.hasher().reload(List.of(V1, V2));
      Thread.sleep(100);
      kg.hasher().reload(List.of(V1, V2, pepper(3)));
      Thread.sleep(100);
      stop.set(true);
      List<CreatedKey> all = new ArrayList<>(old);
      for (Future<List<CreatedKey>> f : made) {
        all.addAll(f.get(30, TimeUnit.SECONDS));
      }
      for (CreatedKey k : all) {
        ApiKeyRecord r = stored(k);
        assertThat(r.hash())
            .as(r.keyId())
            .isEqualTo(kg.hasher().hash(r.pepperVersion(), k.secret().reveal()));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
