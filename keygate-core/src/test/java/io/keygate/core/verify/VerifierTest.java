package io.keygate.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.Keygate;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.audit.AuditVerifier;
import io.keygate.core.key.Base62;
import io.keygate.core.key.Checksum;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.lifecycle.KeyPatch;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.testing.InMemoryKeyStore;
import io.keygate.core.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VerifierTest {
  private static final Pepper V1 = pepper(1);
  private static final Pepper V2 = pepper(2);
  private static final Actor ADMIN = new Actor("key_admin", null, "198.51.100.9");

  private ManualClock clock;
  private InMemoryKeyStore store;
  private Keygate kg;

  static Pepper pepper(int v) {
    return new Pepper(
        v, ("verifier-test-pepper-version-" + v + "-padding").getBytes(StandardCharsets.US_ASCII));
  }

  @BeforeEach
  void setUp() {
    clock = new ManualClock();
    store = new InMemoryKeyStore();
    kg = keygate(V1);
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private Keygate keygate(Pepper... peppers) {
    return Keygate.builder().store(store).peppers(List.of(peppers)).clock(clock).build();
  }

  private CreatedKey create(List<String> scopes, List<String> allowlist) {
    return kg.keys()
        .create(new CreateKey(null, "acme", "test", scopes, allowlist, null, null, null), ADMIN);
  }

  private CreatedKey create() {
    return create(null, null);
  }

  private static String raw(CreatedKey k) {
    return k.secret().reveal();
  }

  private Verification verify(Keygate g, String key) {
    return g.verifier().verify(VerifyRequest.of(key));
  }

  private Verification verify(String key) {
    return verify(kg, key);
  }

  @Test
  void verify_freshKey_isValidAndCarriesItsRecord() {
    CreatedKey k = create();
    Verification v = verify(raw(k));
    assertThat(v.outcome()).isEqualTo(Outcome.VALID);
    assertThat(v.valid()).isTrue();
    assertThat(v.key().keyId()).isEqualTo(k.record().keyId());
  }

  @Test
  void verify_noKey_isMissingApiKey() {
    assertThat(verify(null).outcome()).isEqualTo(Outcome.MISSING_API_KEY);
    assertThat(verify("").outcome()).isEqualTo(Outcome.MISSING_API_KEY);
    assertThat(Outcome.MISSING_API_KEY.code()).isEqualTo("missing_api_key");
  }

  @Test
  void verify_garbage_isInvalidKey_withoutTouchingTheStore() {
    for (String g :
        List.of("x", "Bearer abc", "sk_live_", "sk_live_" + "a".repeat(49), "🔑".repeat(30))) {
      Verification v = verify(g);
      assertThat(v.outcome()).as(g).isEqualTo(Outcome.INVALID_KEY);
      assertThat(v.key()).isNull();
    }
    assertThat(kg.verifier().cachedKeys()).isZero();
  }

  @Test
  void verify_lookAlikeWithBadChecksum_isInvalidKey() {
    String key = raw(create());
    char last = key.charAt(key.length() - 1);
    String lookAlike = key.substring(0, key.length() - 1) + (last == '0' ? '1' : '0');
    Verification v = verify(lookAlike);
    assertThat(v.outcome()).isEqualTo(Outcome.INVALID_KEY);
    assertThat(v.key()).isNull();
  }

  @Test
  void verify_wellFormedButUnknown_isInvalidKey() {
    create();
    String body = KeyFormat.randomBase62(new SecureRandom(), 43);
    String unknown = "sk_live_" + body + Checksum.of(body);
    assertThat(kg.format().identify(unknown)).isNotNull();
    Verification v = verify(unknown);
    assertThat(v.outcome()).isEqualTo(Outcome.INVALID_KEY);
    assertThat(v.key()).isNull();
  }

  @Test
  void verify_revoked_isKeyRevoked() {
    CreatedKey k = create();
    kg.keys().revoke(k.record().keyId(), "test", ADMIN);
    Verification v = verify(raw(k));
    assertThat(v.outcome()).isEqualTo(Outcome.KEY_REVOKED);
    assertThat(v.key().keyId()).isEqualTo(k.record().keyId());
    assertThat(v.outcome().httpStatus()).isEqualTo(401);
  }

  @Test
  void verify_afterExpiry_isKeyExpired_evenWhenCached() {
    CreatedKey k = create();
    assertThat(verify(raw(k)).valid()).isTrue();
    clock.advance(Duration.ofDays(365).minusSeconds(1));
    assertThat(verify(raw(k)).valid()).isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(verify(raw(k)).outcome()).isEqualTo(Outcome.KEY_EXPIRED);
  }

  @Test
  void verify_disabled_isKeyDisabled_andEnableRestoresIt() {
    CreatedKey k = create();
    assertThat(verify(raw(k)).valid()).isTrue();
    kg.keys().disable(k.record().keyId(), ADMIN);
    assertThat(verify(raw(k)).outcome()).isEqualTo(Outcome.KEY_DISABLED);
    kg.keys().enable(k.record().keyId(), ADMIN);
    assertThat(verify(raw(k)).valid()).isTrue();
  }

  @Test
  void verify_ipOutsideAllowlist_isIpNotAllowed() {
    CreatedKey k = create(null, List.of("10.0.0.0/8", "2001:db8::/32"));
    VerifyRequest inside = new VerifyRequest(raw(k), "10.1.2.3", List.of(), "GET", "/");
    VerifyRequest inside6 = new VerifyRequest(raw(k), "2001:db8::7", List.of(), "GET", "/");
    VerifyRequest outside = new VerifyRequest(raw(k), "192.0.2.1", List.of(), "GET", "/");
    VerifyRequest noIp = VerifyRequest.of(raw(k));
    assertThat(kg.verifier().verify(inside).valid()).isTrue();
    assertThat(kg.verifier().verify(inside6).valid()).isTrue();
    assertThat(kg.verifier().verify(outside).outcome()).isEqualTo(Outcome.IP_NOT_ALLOWED);
    assertThat(kg.verifier().verify(noIp).outcome()).isEqualTo(Outcome.IP_NOT_ALLOWED);
    assertThat(Outcome.IP_NOT_ALLOWED.httpStatus()).isEqualTo(403);
  }

  @Test
  void verify_requiredScopes_areAnyOf() {
    CreatedKey k = create(List.of("read", "billing:write"), null);
    Verifier v = kg.verifier();
    assertThat(v.verify(new VerifyRequest(raw(k), null, List.of("read"), null, null)).valid())
        .isTrue();
    assertThat(
            v.verify(new VerifyRequest(raw(k), null, List.of("admin", "billing:write"), null, null))
                .valid())
        .isTrue();
    assertThat(v.verify(new VerifyRequest(raw(k), null, List.of(), null, null)).valid()).isTrue();
    Verification denied =
        v.verify(new VerifyRequest(raw(k), null, List.of("write", "admin"), null, null));
    assertThat(denied.outcome()).isEqualTo(Outcome.INSUFFICIENT_SCOPE);
    assertThat(denied.key().keyId()).isEqualTo(k.record().keyId());
  }

  @Test
  void verify_stateIsCheckedBeforeIpAndScope() {
    CreatedKey k = create(List.of("read"), List.of("10.0.0.1"));
    kg.keys().revoke(k.record().keyId(), null, ADMIN);
    VerifyRequest req = new VerifyRequest(raw(k), "192.0.2.1", List.of("write"), null, null);
    assertThat(kg.verifier().verify(req).outcome()).isEqualTo(Outcome.KEY_REVOKED);
  }

  @Test
  void revoke_takesEffectOnTheVeryNextVerify_althoughCached() {
    CreatedKey k = create();
    assertThat(verify(raw(k)).valid()).isTrue();
    assertThat(kg.verifier().cachedKeys()).isEqualTo(1);
    assertThat(verify(raw(k)).valid()).isTrue();
    assertThat(kg.verifier().cacheHitRatio()).isPositive();
    kg.keys().revoke(k.record().keyId(), "leaked", ADMIN);
    assertThat(verify(raw(k)).outcome()).isEqualTo(Outcome.KEY_REVOKED);
  }

  @Test
  void update_scopesTakeEffectOnTheNextVerify_althoughCached() {
    CreatedKey k = create(List.of("read"), null);
    VerifyRequest needsWrite = new VerifyRequest(raw(k), null, List.of("write"), null, null);
    assertThat(kg.verifier().verify(needsWrite).outcome()).isEqualTo(Outcome.INSUFFICIENT_SCOPE);
    kg.keys()
        .update(
            k.record().keyId(),
            new KeyPatch(null, List.of("write"), null, null, null, null),
            ADMIN);
    assertThat(kg.verifier().verify(needsWrite).valid()).isTrue();
  }

  @Test
  void find_returnsRecordWithoutStateChecks() {
    CreatedKey k = create();
    kg.keys().revoke(k.record().keyId(), null, ADMIN);
    assertThat(kg.verifier().find(raw(k)))
        .get()
        .extracting(ApiKeyRecord::keyId)
        .isEqualTo(k.record().keyId());
    assertThat(kg.verifier().find("garbage")).isEmpty();
  }

  @Test
  void pepperRotation_oldKeyVerifiesOnV1V2_isRehashed_thenVerifiesOnV2Only() {
    CreatedKey k = create();
    CreatedKey neverUsed = create();
    assertThat(k.record().pepperVersion()).isEqualTo(1);

    Keygate both = keygate(V1, V2);
    assertThat(verify(both, raw(k)).valid()).isTrue();
    ApiKeyRecord stored = store.findById(k.record().keyId()).orElseThrow();
    assertThat(stored.pepperVersion()).isEqualTo(2);
    assertThat(stored.hash())
        .isEqualTo(both.hasher().hash(2, raw(k)))
        .isNotEqualTo(k.record().hash());
    List<AuditEvent> rehashed =
        store.auditAfter(0, 100).stream()
            .filter(e -> e.entry().action().equals("key.rehashed"))
            .toList();
    assertThat(rehashed).hasSize(1);
    assertThat(rehashed.get(0).entry().actor()).isEqualTo("system");
    assertThat(rehashed.get(0).entry().targetId()).isEqualTo(k.record().keyId());
    assertThat(rehashed.get(0).entry().details())
        .containsEntry("from_pepper_version", "1")
        .containsEntry("to_pepper_version", "2");

    assertThat(verify(both, raw(k)).valid()).isTrue();
    both.verifier().invalidateAll();
    assertThat(verify(both, raw(k)).valid()).isTrue();
    assertThat(
            store.auditAfter(0, 100).stream()
                .filter(e -> e.entry().action().equals("key.rehashed")))
        .hasSize(1);

    Keygate v2Only = keygate(V2);
    assertThat(verify(v2Only, raw(k)).valid()).isTrue();
    // A key nobody presented while v1 was still configured has only its v1 hash: gone with v1.
    assertThat(verify(v2Only, raw(neverUsed)).outcome()).isEqualTo(Outcome.INVALID_KEY);
    assertThat(new AuditVerifier(store.auditKeys(), null).verify(store).problems()).isEmpty();
  }

  @Test
  void usage_afterNVerifies_flushWritesCountAndLastUsed() {
    CreatedKey k = create();
    CreatedKey other = create();
    for (int i = 0; i < 7; i++) {
      assertThat(verify(raw(k)).valid()).isTrue();
      clock.advance(Duration.ofSeconds(1));
    }
    verify(raw(k).substring(1)); // invalid: not counted
    kg.verifier().verify(new VerifyRequest(raw(other), null, List.of("nope"), null, null));
    assertThat(kg.flushUsage()).isEqualTo(1);
    ApiKeyRecord r = store.findById(k.record().keyId()).orElseThrow();
    assertThat(r.usageCount()).isEqualTo(7);
    assertThat(r.lastUsedAt()).isEqualTo(clock.instant().minusSeconds(1));
    assertThat(store.findById(other.record().keyId()).orElseThrow().usageCount()).isZero();
    assertThat(kg.flushUsage()).isZero();
  }

  @Test
  void revoke_racingWithEightVerifiers_noValidAfterRevokeReturns() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 20; round++) {
        CreatedKey k = create();
        String key = raw(k);
        String id = k.record().keyId();
        AtomicBoolean revoked = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong validBefore = new AtomicLong();
        AtomicLong afterRevoke = new AtomicLong();
        AtomicLong violations = new AtomicLong();
        CountDownLatch started = new CountDownLatch(8);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          fs.add(
              pool.submit(
                  () -> {
                    started.countDown();
                    while (!stop.get()) {
                      boolean after = revoked.get();
                      Verification v = kg.verifier().verify(VerifyRequest.of(key));
                      if (after) {
                        afterRevoke.incrementAndGet();
                        if (v.valid()) {
                          violations.incrementAndGet();
                        }
                      } else if (v.valid()) {
                        validBefore.incrementAndGet();
                      }
                    }
                    return null;
                  }));
        }
        started.await();
        while (validBefore.get() < 200) {
          Thread.onSpinWait();
        }
        kg.keys().revoke(id, "race", ADMIN);
        revoked.set(true);
        while (afterRevoke.get() < 2_000) {
          Thread.onSpinWait();
        }
        stop.set(true);
        for (Future<?> f : fs) {
          f.get(60, TimeUnit.SECONDS);
        }
        assertThat(violations.get()).as("round %d", round).isZero();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void verify_neverThrows_onHostileInput() {
    create();
    StringBuilder sb = new StringBuilder("sk_live_");
    for (int i = 0; i < 49; i++) {
      sb.append(Base62.ALPHABET.charAt(i));
    }
    for (String s :
        List.of(
            sb.toString(), "\u0000".repeat(57), "sk_live_" + "é".repeat(49), "x".repeat(1 << 20))) {
      assertThat(verify(s).outcome()).isEqualTo(Outcome.INVALID_KEY);
    }
  }

  @Test
  void listeners_oneThrows_theOthersAreStillTold_andTheAnswerStands() {
    List<Outcome> first = new ArrayList<>();
    List<Outcome> last = new ArrayList<>();
    Keygate g =
        Keygate.builder()
            .store(store)
            .pepper(V1)
            .clock(clock)
            .verificationListener((req, v, at, nanos) -> first.add(v.outcome()))
            .verificationListener(
                (req, v, at, nanos) -> {
                  throw new IllegalStateException("listener fault");
                })
            .verificationListener((req, v, at, nanos) -> last.add(v.outcome()))
            .build();
    String key =
        raw(g.keys().create(new CreateKey(null, "acme", "t", null, null, null, null, null), ADMIN));

    assertThat(verify(g, key).valid()).isTrue();
    assertThat(verify(g, key + "x").outcome()).isEqualTo(Outcome.INVALID_KEY);

    assertThat(first).containsExactly(Outcome.VALID, Outcome.INVALID_KEY);
    assertThat(last).containsExactly(Outcome.VALID, Outcome.INVALID_KEY);
    assertThat(g.verifier().listenerFailures()).isEqualTo(2);
  }

  @Test
  void canaryListeners_oneThrows_theOthersAreStillTold_andTheAlarmIsRecorded() {
    List<String> told = new ArrayList<>();
    Keygate g =
        Keygate.builder()
            .store(store)
            .pepper(V1)
            .clock(clock)
            .canaryListener(
                (rec, req) -> {
                  throw new IllegalStateException("listener fault");
                })
            .canaryListener((rec, req) -> told.add(rec.keyId()))
            .build();
    CreatedKey canary = g.canaries().create("acme", "wiki page", null, ADMIN);

    assertThat(verify(g, raw(canary)).outcome()).isEqualTo(Outcome.INVALID_KEY);

    assertThat(told).containsExactly(canary.record().keyId());
    assertThat(g.verifier().listenerFailures()).isEqualTo(1);
    assertThat(store.audit(new AuditQuery(canary.record().keyId(), null, 10, null)))
        .extracting(e -> e.entry().action())
        .contains("canary.triggered");
  }
}
