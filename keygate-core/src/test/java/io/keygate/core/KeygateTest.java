package io.keygate.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.InMemoryKeyStore;
import io.keygate.core.testing.ManualClock;
import io.keygate.core.verify.VerifyRequest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class KeygateTest {
  private static final Pepper PEPPER = new Pepper(1, new byte[32]);

  @Test
  void build_withoutStoreOrPepper_failsFast() {
    assertThatIllegalStateException().isThrownBy(() -> Keygate.builder().pepper(PEPPER).build());
    assertThatIllegalStateException()
        .isThrownBy(() -> Keygate.builder().store(new InMemoryKeyStore()).build());
    assertThatThrownBy(() -> Keygate.builder().store(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void build_badCacheBounds_areRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Keygate.builder().cache(-1, Duration.ofMinutes(1)));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Keygate.builder().cache(10, Duration.ofSeconds(-1)));
    assertThatIllegalArgumentException().isThrownBy(() -> Keygate.builder().cache(10, null));
  }

  @Test
  void build_duplicatePepperVersion_isRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                Keygate.builder()
                    .store(new InMemoryKeyStore())
                    .peppers(List.of(PEPPER, new Pepper(1, new byte[33])))
                    .build());
  }

  @Test
  void build_customTypes_areUsedForMintingAndParsing() {
    List<KeyType> types = KeyTypes.defaultTypes();
    types.add(new KeyType("partner", "pt_live_", true, false));
    Keygate kg =
        Keygate.builder()
            .store(new InMemoryKeyStore())
            .pepper(PEPPER)
            .types(KeyTypes.of(types))
            .build();
    CreatedKey k =
        kg.keys()
            .create(
                new CreateKey("partner", "acme", null, null, null, null, null, null), Actor.SYSTEM);
    assertThat(k.secret().reveal()).startsWith("pt_live_");
    assertThat(kg.verifier().verify(VerifyRequest.of(k.secret().reveal())).valid()).isTrue();
  }

  @Test
  void flushUsage_storeFault_keepsCountsForTheNextFlush() {
    InMemoryKeyStore real = new InMemoryKeyStore();
    AtomicBoolean down = new AtomicBoolean(true);
    KeyStore flaky =
        (KeyStore)
            Proxy.newProxyInstance(
                KeyStore.class.getClassLoader(),
                new Class<?>[] {KeyStore.class},
                (proxy, m, args) -> {
                  if (m.getName().equals("recordUsage") && down.get()) {
                    throw new KeygateException.StoreUnavailable("store down", null);
                  }
                  try {
                    return m.invoke(real, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    ManualClock clock = new ManualClock();
    Keygate kg = Keygate.builder().store(flaky).pepper(PEPPER).clock(clock).build();
    CreatedKey k =
        kg.keys()
            .create(new CreateKey(null, "acme", null, null, null, null, null, null), Actor.SYSTEM);
    for (int i = 0; i < 3; i++) {
      kg.verifier().verify(VerifyRequest.of(k.secret().reveal()));
    }
    assertThatThrownBy(kg::flushUsage).isInstanceOf(KeygateException.StoreUnavailable.class);
    kg.verifier().verify(VerifyRequest.of(k.secret().reveal()));
    down.set(false);
    assertThat(kg.flushUsage()).isEqualTo(1);
    assertThat(real.findById(k.record().keyId()).orElseThrow().usageCount()).isEqualTo(4);
  }
}
