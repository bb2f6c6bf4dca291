package io.keygate.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.audit.AuditVerifier;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.Pepper;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.model.RateLimit;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreTx;
import io.keygate.core.testing.InMemoryKeyStore;
import io.keygate.core.testing.ManualClock;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KeyServiceTest {
  private static final Pepper PEPPER =
      new Pepper(1, "key-service-test-pepper-0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
  private static final Actor ADMIN = new Actor("key_admin1", null, "198.51.100.9");
  private static final Actor ACME = new Actor("key_acmeadmin", "acme", "203.0.113.5");

  private ManualClock clock;
  private InMemoryKeyStore store;
  private Keygate kg;
  private KeyService keys;

  @BeforeEach
  void setUp() {
    clock = new ManualClock();
    store = new InMemoryKeyStore();
    kg = build(store);
    keys = kg.keys();
  }

  private Keygate build(KeyStore s) {
    return Keygate.builder().store(s).pepper(PEPPER).clock(clock).build();
  }

  private static CreateKey req(String owner) {
    return new CreateKey(null, owner, null, null, null, null, null, null);
  }

  private CreatedKey create(String owner) {
    return keys.create(req(owner), ADMIN);
  }

  private Verification verify(CreatedKey k) {
    return kg.verifier().verify(VerifyRequest.of(k.secret().reveal()));
  }

  private ApiKeyRecord stored(String id) {
    return store.findById(id).orElseThrow();
  }

  private List<AuditEvent> allAudit() {
    return store.auditAfter(0, 10_000);
  }

  private static void assertInvalid(Runnable r, String code) {
    assertThatThrownBy(r::run)
        .isInstanceOf(KeygateException.InvalidRequest.class)
        .extracting(e -> ((KeygateException) e).code())
        .isEqualTo(code);
  }

  // ---- create ----

  @Test
  void create_defaults_liveSecretReadScope365Days() {
    CreatedKey k = create("acme");
    ApiKeyRecord r = k.record();
    assertThat(r.type()).isEqualTo("live_secret");
    assertThat(k.secret().reveal()).startsWith("sk_live_");
    assertThat(r.settings().scopes()).containsExactly("read");
    assertThat(r.settings().ipAllowlist()).isEmpty();
    assertThat(r.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofDays(365)));
    assertThat(r.status()).isEqualTo(KeyStatus.ACTIVE);
    assertThat(r.createdAt()).isEqualTo(clock.instant());
    assertThat(r.ownerId()).isEqualTo("acme");
    assertThat(r.pepperVersion()).isEqualTo(1);
    assertThat(r.usageCount()).isZero();
    assertThat(r.keyId()).matches("key_[0-9A-Za-z]{24}");
    assertThat(r.hint()).isEqualTo("sk_live_…" + k.secret().reveal().substring(53));
    assertThat(r.hash()).isEqualTo(kg.hasher().hash(k.secret().reveal()));
    assertThat(stored(r.keyId())).isEqualTo(r);
  }

  @Test
  void create_storesNoPartOfTheSecretBeyondTheHint() {
    CreatedKey k = create("acme");
    String body = k.secret().reveal().substring(8, 51);
    assertThat(stored(k.record().keyId()).toString()).doesNotContain(body.substring(0, 10));
    assertThat(k.record().keyId()).doesNotContain(body.substring(0, 6));
  }

  @Test
  void create_explicitSettings_areStored() {
    RateLimit rl = new RateLimit("default", 100, Duration.ofMinutes(1));
    CreatedKey k =
        keys.create(
            new CreateKey(
                "test_restricted",
                "acme",
                "ci",
                List.of("read", "write", "read"),
                List.of("10.0.0.0/8"),
                List.of(rl),
                30,
                Map.of("team", "infra")),
            ADMIN);
    ApiKeyRecord r = k.record();
    assertThat(k.secret().reveal()).startsWith("rk_test_");
    assertThat(r.settings().scopes()).containsExactly("read", "write");
    assertThat(r.settings().name()).isEqualTo("ci");
    assertThat(r.settings().ipAllowlist()).containsExactly("10.0.0.0/8");
    assertThat(r.settings().rateLimits()).containsExactly(rl);
    assertThat(r.settings().meta()).containsEntry("team", "infra");
    assertThat(r.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofDays(30)));
  }

  @Test
  void create_expiry_isLimitedByMaxTtlPolicy() {
    assertInvalid(
        () -> keys.create(new CreateKey(null, "acme", null, null, null, null, 366, null), ADMIN),
        "invalid_expiry");
    assertInvalid(
        () -> keys.create(new CreateKey(null, "acme", null, null, null, null, 0, null), ADMIN),
        "invalid_expiry");
    assertInvalid(
        () -> keys.create(new CreateKey(null, "acme", null, null, null, null, -1, null), ADMIN),
        "invalid_expiry");
    CreatedKey k =
        keys.create(new CreateKey(null, "acme", null, null, null, null, 365, null), ADMIN);
    assertThat(k.record().expiresAt()).isEqualTo(clock.instant().plus(Duration.ofDays(365)));
  }

  @Test
  void create_invalidOwner_isRejected() {
    for (String owner : Arrays.asList(null, "", "has space", "x".repeat(129), "ünicode", "a/b")) {
      assertInvalid(() -> keys.create(req(owner), ADMIN), "invalid_owner_id");
    }
    assertThat(keys.create(req("user@example.com"), ADMIN).record().ownerId())
        .isEqualTo("user@example.com");
  }

  @Test
  void create_invalidScopes_areRejected() {
    List<List<String>> bad = new ArrayList<>();
    bad.add(List.of());
    bad.add(List.of("has space"));
    bad.add(List.of("x".repeat(65)));
    bad.add(Collections.singletonList(null));
    bad.add(IntStream.range(0, 101).mapToObj(i -> "s" + i).toList());
    for (List<String> scopes : bad) {
      assertInvalid(
          () ->
              keys.create(new CreateKey(null, "acme", null, scopes, null, null, null, null), ADMIN),
          "invalid_scopes");
    }
  }

  @Test
  void create_invalidAllowlist_isRejected() {
    for (List<String> list :
        List.of(
            List.of("localhost"),
            List.of("10.0.0.0/33"),
            List.of("not-an-ip"),
            IntStream.range(0, 101).mapToObj(i -> "10.0.0." + (i % 250)).toList())) {
      assertInvalid(
          () -> keys.create(new CreateKey(null, "acme", null, null, list, null, null, null), ADMIN),
          "invalid_ip_allowlist");
    }
  }

  @Test
  void create_invalidRateLimits_areRejected() {
    RateLimit a = new RateLimit("a", 1, Duration.ofSeconds(1));
    List<RateLimit> dup = List.of(a, new RateLimit("a", 5, Duration.ofMinutes(1)));
    List<RateLimit> tooMany =
        IntStream.range(0, 11)
            .mapToObj(i -> new RateLimit("r" + i, 1, Duration.ofSeconds(1)))
            .toList();
    for (List<RateLimit> rl : List.of(dup, tooMany)) {
      assertInvalid(
          () -> keys.create(new CreateKey(null, "acme", null, null, null, rl, null, null), ADMIN),
          "invalid_rate_limit");
    }
  }

  @Test
  void create_invalidTypeNameOrMeta_areRejected() {
    assertInvalid(
        () -> keys.create(new CreateKey("nope", "acme", null, null, null, null, null, null), ADMIN),
        "invalid_key_type");
    assertInvalid(
        () ->
            keys.create(new CreateKey("admin", "acme", null, null, null, null, null, null), ADMIN),
        "invalid_key_type");
    assertInvalid(
        () ->
            keys.create(
                new CreateKey(null, "acme", "n".repeat(201), null, null, null, null, null), ADMIN),
        "invalid_name");
    Map<String, Object> meta = new HashMap<>();
    IntStream.range(0, 51).forEach(i -> meta.put("k" + i, i));
    assertInvalid(
        () -> keys.create(new CreateKey(null, "acme", null, null, null, null, null, meta), ADMIN),
        "invalid_meta");
  }

  @Test
  void create_rejectedRequest_writesNothing() {
    int before = store.commits();
    assertInvalid(
        () ->
            keys.create(
                new CreateKey(null, "acme", null, List.of(), null, null, null, null), ADMIN),
        "invalid_scopes");
    assertThat(store.commits()).isEqualTo(before);
    assertThat(allAudit()).isEmpty();
  }

  @Test
  void create_byRestrictedActorForAnotherOwner_isRejected() {
    assertInvalid(() -> keys.create(req("globex"), ACME), "invalid_owner_id");
    assertThat(keys.create(req("acme"), ACME).record().ownerId()).isEqualTo("acme");
  }

  // ---- audit ----

  @Test
  void everyChange_writesExactlyOneAuditEventWithActorTargetAndIp_andTheChainVerifies() {
    CreatedKey k = create("acme");
    String id = k.record().keyId();
    keys.update(id, new KeyPatch("renamed", List.of("write"), null, null, null, null), ADMIN);
    keys.disable(id, ACME);
    keys.enable(id, ACME);
    keys.revoke(id, "done", ADMIN);
    List<AuditEvent> events = allAudit();
    assertThat(events)
        .extracting(e -> e.entry().action())
        .containsExactly(
            "key.created", "key.updated", "key.disabled", "key.enabled", "key.revoked");
    assertThat(events).extracting(e -> e.entry().targetId()).containsOnly(id);
    assertThat(events).extracting(e -> e.entry().ownerId()).containsOnly("acme");
    assertThat(events)
        .extracting(e -> e.entry().actor())
        .containsExactly(
            "key_admin1", "key_admin1", "key_acmeadmin", "key_acmeadmin", "key_admin1");
    assertThat(events)
        .extracting(e -> e.entry().sourceIp())
        .containsExactly(
            "198.51.100.9", "198.51.100.9", "203.0.113.5", "203.0.113.5", "198.51.100.9");
    assertThat(events).extracting(e -> e.entry().at()).containsOnly(clock.instant());
    assertThat(events.get(1).entry().details())
        .containsEntry("scopes", "write")
        .containsEntry("name", "changed");
    assertThat(events.get(4).entry().details()).containsEntry("reason", "done");
    assertThat(new AuditVerifier(store.auditKeys(), null).verify(store).problems()).isEmpty();
    assertThat(store.audit(new AuditQuery(id, null, 10, null))).hasSize(5);
  }

  @Test
  void auditEvents_neverContainTheSecret() {
    CreatedKey k = create("acme");
    keys.rotate(k.record().keyId(), Duration.ZERO, ADMIN);
    String raw = k.secret().reveal();
    for (AuditEvent e : allAudit()) {
      assertThat(e.entry().toString()).doesNotContain(raw.substring(8, 20));
    }
  }

  // ---- get / list / owner restriction ----

  @Test
  void get_otherOwnersKey_isNotFoundForRestrictedActor() {
    CreatedKey globex = create("globex");
    String id = globex.record().keyId();
    assertThat(keys.get(id, ADMIN).keyId()).isEqualTo(id);
    assertThatThrownBy(() -> keys.get(id, ACME)).isInstanceOf(KeygateException.NotFound.class);
    assertThatThrownBy(() -> keys.get("key_missing", ADMIN))
        .isInstanceOf(KeygateException.NotFound.class);
    int before = store.commits();
    assertThatThrownBy(() -> keys.revoke(id, null, ACME))
        .isInstanceOf(KeygateException.NotFound.class);
    assertThatThrownBy(() -> keys.disable(id, ACME)).isInstanceOf(KeygateException.NotFound.class);
    assertThatThrownBy(() -> keys.update(id, new KeyPatch("x", null, null, null, null, null), ACME))
        .isInstanceOf(KeygateException.NotFound.class);
    assertThatThrownBy(() -> keys.rotate(id, null, ACME))
        .isInstanceOf(KeygateException.NotFound.class);
    assertThat(store.commits()).isEqualTo(before);
    assertThat(verify(globex).valid()).isTrue();
  }

  @Test
  void list_restrictedActor_isConfinedToItsOwner() {
    create("acme");
    create("acme");
    create("globex");
    KeyQuery all = new KeyQuery(null, null, null, 50, null);
    assertThat(keys.list(all, ADMIN).items()).hasSize(3);
    assertThat(keys.list(all, ACME).items())
        .hasSize(2)
        .extracting(ApiKeyRecord::ownerId)
        .containsOnly("acme");
    assertThat(keys.list(all.forOwner("globex"), ACME).items()).isEmpty();
    assertThat(keys.list(all.forOwner("acme"), ACME).items()).hasSize(2);
  }

  @Test
  void list_newestFirst_pagesByCursor_andFiltersEffectiveStatus() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(create("acme").record().keyId());
      clock.advance(Duration.ofSeconds(1));
    }
    Collections.reverse(ids);
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Page<ApiKeyRecord> p = keys.list(new KeyQuery("acme", null, null, 2, cursor), ADMIN);
      p.items().forEach(r -> seen.add(r.keyId()));
      cursor = p.nextCursor();
      pages++;
    } while (cursor != null);
    assertThat(seen).isEqualTo(ids);
    assertThat(pages).isEqualTo(3);

    keys.revoke(ids.get(0), null, ADMIN);
    keys.rotate(ids.get(1), Duration.ofHours(1), ADMIN);
    clock.advance(Duration.ofHours(2));
    assertThat(keys.list(new KeyQuery("acme", KeyStatus.REVOKED, null, 50, null), ADMIN).items())
        .extracting(ApiKeyRecord::keyId)
        .containsExactlyInAnyOrder(ids.get(0), ids.get(1));
    assertThat(keys.list(new KeyQuery("acme", KeyStatus.ACTIVE, null, 50, null), ADMIN).items())
        .hasSize(4);
    clock.advance(Duration.ofDays(365));
    assertThat(keys.list(new KeyQuery("acme", KeyStatus.EXPIRED, null, 50, null), ADMIN).items())
        .hasSize(4);
  }

  // ---- update / disable / revoke ----

  @Test
  void update_changesOnlyGivenFields() {
    RateLimit rl = new RateLimit("default", 10, Duration.ofSeconds(1));
    CreatedKey k =
        keys.create(
            new CreateKey(
                null,
                "acme",
                "n",
                List.of("read"),
                List.of("10.0.0.1"),
                List.of(rl),
                null,
                Map.of("a", 1)),
            ADMIN);
    clock.advance(Duration.ofDays(1));
    ApiKeyRecord u =
        keys.update(k.record().keyId(), new KeyPatch(null, null, List.of(), null, 10, null), ADMIN);
    assertThat(u.settings().ipAllowlist()).isEmpty();
    assertThat(u.settings().scopes()).containsExactly("read");
    assertThat(u.settings().rateLimits()).containsExactly(rl);
    assertThat(u.settings().name()).isEqualTo("n");
    assertThat(u.settings().meta()).containsEntry("a", 1);
    assertThat(u.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofDays(10)));
    assertThat(u.updatedAt()).isEqualTo(clock.instant());
    assertThat(stored(u.keyId())).isEqualTo(u);
    assertInvalid(
        () ->
            keys.update(k.record().keyId(), new KeyPatch(null, null, null, null, 366, null), ADMIN),
        "invalid_expiry");
    assertInvalid(
        () ->
            keys.update(
                k.record().keyId(), new KeyPatch(null, List.of(), null, null, null, null), ADMIN),
        "invalid_scopes");
  }

  @Test
  void revoke_recordsReasonAndTime_andRevokingAgainIsConflict() {
    CreatedKey k = create("acme");
    ApiKeyRecord r = keys.revoke(k.record().keyId(), "  leaked on a forum ", ADMIN);
    assertThat(r.status()).isEqualTo(KeyStatus.REVOKED);
    assertThat(r.revokeReason()).isEqualTo("leaked on a forum");
    assertThat(r.revokedAt()).isEqualTo(clock.instant());
    assertThat(stored(r.keyId()).status()).isEqualTo(KeyStatus.REVOKED);
    assertThatThrownBy(() -> keys.revoke(r.keyId(), null, ADMIN))
        .isInstanceOf(KeygateException.Conflict.class)
        .extracting(e -> ((KeygateException) e).code())
        .isEqualTo("key_revoked");
    assertThatThrownBy(() -> keys.enable(r.keyId(), ADMIN))
        .isInstanceOf(KeygateException.Conflict.class);
    assertThatThrownBy(
            () -> keys.update(r.keyId(), new KeyPatch("x", null, null, null, null, null), ADMIN))
        .isInstanceOf(KeygateException.Conflict.class);
    assertThat(keys.revoke(create("acme").record().keyId(), null, ADMIN).revokeReason())
        .isEqualTo("unspecified");
    assertInvalid(() -> keys.revoke(k.record().keyId(), "r".repeat(501), ADMIN), "invalid_reason");
  }

  @Test
  void expiredOrRevokedKey_cannotComeBack_throughUpdateEnableDisableOrRotate_butCanBeRevoked() {
    CreatedKey expired =
        keys.create(new CreateKey(null, "acme", null, null, null, null, 1, null), ADMIN);
    CreatedKey disabledThenExpired =
        keys.create(new CreateKey(null, "acme", null, null, null, null, 1, null), ADMIN);
    keys.disable(disabledThenExpired.record().keyId(), ADMIN);
    CreatedKey revoked = create("acme");
    keys.revoke(revoked.record().keyId(), "gone", ADMIN);
    clock.advance(Duration.ofDays(1));
    int before = allAudit().size();
    for (var c :
        List.of(
            Map.entry(expired, "key_expired"),
            Map.entry(disabledThenExpired, "key_expired"),
            Map.entry(revoked, "key_revoked"))) {
      String id = c.getKey().record().keyId();
      List<Runnable> revivals =
          List.of(
              () -> keys.update(id, new KeyPatch(null, null, null, null, 30, null), ADMIN),
              () -> keys.update(id, new KeyPatch("renamed", null, null, null, null, null), ADMIN),
              () -> keys.enable(id, ADMIN),
              () -> keys.disable(id, ADMIN),
              () -> keys.rotate(id, Duration.ZERO, ADMIN),
              () -> keys.rotate(id, Duration.ofHours(1), ADMIN));
      for (Runnable r : revivals) {
        assertThatThrownBy(r::run)
            .isInstanceOf(KeygateException.Conflict.class)
            .extracting(e -> ((KeygateException) e).code())
            .isEqualTo(c.getValue());
      }
      assertThat(verify(c.getKey()).valid()).isFalse();
    }
    assertThat(allAudit()).hasSize(before);
    assertThat(keys.revoke(expired.record().keyId(), "clean up", ADMIN).status())
        .isEqualTo(KeyStatus.REVOKED);
    assertThat(verify(disabledThenExpired).outcome()).isEqualTo(Outcome.KEY_DISABLED);
  }

  // ---- rotate / sweep ----

  @Test
  void rotate_withGracePeriod_keepsOldKeyValidUntilDeadline() {
    CreatedKey old = create("acme");
    assertThat(verify(old).valid()).isTrue();
    RotatedKey rot = keys.rotate(old.record().keyId(), null, ADMIN);
    assertThat(rot.oldKeyRevokesAt()).isEqualTo(clock.instant().plus(Duration.ofHours(24)));
    assertThat(verify(old).valid()).isTrue();
    assertThat(verify(rot.newKey()).valid()).isTrue();
    clock.advance(Duration.ofHours(24).minusMillis(1));
    assertThat(verify(old).valid()).isTrue();
    clock.advance(Duration.ofMillis(1));
    assertThat(verify(old).outcome()).isEqualTo(Outcome.KEY_REVOKED);
    assertThat(verify(rot.newKey()).valid()).isTrue();
  }

  @Test
  void sweep_afterGracePeriod_recordsTheRevocationBySystem() {
    CreatedKey old = create("acme");
    String id = old.record().keyId();
    RotatedKey rot = keys.rotate(id, Duration.ofHours(2), ADMIN);
    assertThat(keys.sweep()).isZero();
    assertThat(stored(id).status()).isEqualTo(KeyStatus.ACTIVE);
    clock.advance(Duration.ofHours(3));
    assertThat(keys.sweep()).isEqualTo(1);
    ApiKeyRecord r = stored(id);
    assertThat(r.status()).isEqualTo(KeyStatus.REVOKED);
    assertThat(r.revokedAt()).isEqualTo(rot.oldKeyRevokesAt());
    AuditEvent last = allAudit().get(allAudit().size() - 1);
    assertThat(last.entry().action()).isEqualTo("key.revoked");
    assertThat(last.entry().actor()).isEqualTo("system");
    assertThat(last.entry().targetId()).isEqualTo(id);
    assertThat(last.entry().sourceIp()).isNull();
    assertThat(keys.sweep()).isZero();
    assertThat(verify(old).outcome()).isEqualTo(Outcome.KEY_REVOKED);
    assertThat(stored(rot.newKey().record().keyId()).status()).isEqualTo(KeyStatus.ACTIVE);
    assertThat(new AuditVerifier(store.auditKeys(), null).verify(store).problems()).isEmpty();
  }

  @Test
  void sweep_moreThanOneBatch_revokesAll() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 501; i++) {
      String id = create("acme").record().keyId();
      keys.rotate(id, Duration.ofMinutes(1), ADMIN);
      ids.add(id);
    }
    clock.advance(Duration.ofMinutes(1));
    assertThat(keys.sweep()).isEqualTo(501);
    assertThat(ids).allSatisfy(id -> assertThat(stored(id).status()).isEqualTo(KeyStatus.REVOKED));
  }

  @Test
  void rotate_zeroGrace_revokesOldKeyAtOnce() {
    CreatedKey old = create("acme");
    assertThat(verify(old).valid()).isTrue();
    RotatedKey rot = keys.rotate(old.record().keyId(), Duration.ZERO, ADMIN);
    assertThat(verify(old).outcome()).isEqualTo(Outcome.KEY_REVOKED);
    assertThat(rot.oldKey().status()).isEqualTo(KeyStatus.REVOKED);
    assertThat(stored(old.record().keyId()).status()).isEqualTo(KeyStatus.REVOKED);
    assertThat(stored(old.record().keyId()).revokedAt()).isEqualTo(clock.instant());
    assertThat(verify(rot.newKey()).valid()).isTrue();
    assertThat(keys.sweep()).isZero();
  }

  @Test
  void rotate_newKeyKeepsAllSettings_andKeysAreLinkedBothWays() {
    RateLimit rl = new RateLimit("burst", 5, Duration.ofSeconds(1));
    CreatedKey old =
        keys.create(
            new CreateKey(
                "test_public",
                "acme",
                "web",
                List.of("read", "orders:write"),
                List.of("10.0.0.0/8"),
                List.of(rl),
                90,
                Map.of("env", "stg")),
            ADMIN);
    clock.advance(Duration.ofDays(10));
    RotatedKey rot = keys.rotate(old.record().keyId(), Duration.ofHours(1), ADMIN);
    ApiKeyRecord fresh = stored(rot.newKey().record().keyId());
    ApiKeyRecord prev = stored(old.record().keyId());
    assertThat(fresh.settings()).isEqualTo(old.record().settings());
    assertThat(fresh.type()).isEqualTo("test_public");
    assertThat(rot.newKey().secret().reveal()).startsWith("pk_test_");
    assertThat(fresh.ownerId()).isEqualTo("acme");
    assertThat(fresh.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofDays(90)));
    assertThat(fresh.rotatedFrom()).isEqualTo(prev.keyId());
    assertThat(prev.rotatedTo()).isEqualTo(fresh.keyId());
    assertThat(prev.revokesAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    assertThat(fresh.keyId()).isNotEqualTo(prev.keyId());
    assertThat(fresh.hash()).isNotEqualTo(prev.hash());
    List<AuditEvent> ev = allAudit();
    assertThat(ev)
        .extracting(e -> e.entry().action())
        .containsExactly("key.created", "key.rotated", "key.created");
    assertThat(ev.get(1).entry().targetId()).isEqualTo(prev.keyId());
    assertThat(ev.get(1).entry().details()).containsEntry("new_key_id", fresh.keyId());
    assertThat(ev.get(2).entry().targetId()).isEqualTo(fresh.keyId());
    assertThat(ev.get(2).entry().details()).containsEntry("rotated_from", prev.keyId());
    VerifyRequest fromNet =
        new VerifyRequest(
            rot.newKey().secret().reveal(), "10.2.3.4", List.of("orders:write"), null, null);
    assertThat(kg.verifier().verify(fromNet).valid()).isTrue();
  }

  @Test
  void rotate_disabledKey_successorStartsDisabled_untilEnabled() {
    CreatedKey old = create("acme");
    keys.disable(old.record().keyId(), ADMIN);
    RotatedKey rot = keys.rotate(old.record().keyId(), Duration.ofHours(1), ADMIN);
    String freshId = rot.newKey().record().keyId();
    assertThat(rot.newKey().record().status()).isEqualTo(KeyStatus.DISABLED);
    assertThat(stored(freshId).status()).isEqualTo(KeyStatus.DISABLED);
    assertThat(verify(rot.newKey()).outcome()).isEqualTo(Outcome.KEY_DISABLED);
    assertThat(verify(old).outcome()).isEqualTo(Outcome.KEY_DISABLED);
    List<AuditEvent> ev = allAudit();
    assertThat(ev.get(ev.size() - 1).entry().details()).containsEntry("status", "disabled");
    keys.enable(freshId, ADMIN);
    assertThat(verify(rot.newKey()).valid()).isTrue();
    assertThat(verify(old).outcome()).isEqualTo(Outcome.KEY_DISABLED);
  }

  @Test
  void rotate_twice_isConflict() {
    CreatedKey old = create("acme");
    keys.rotate(old.record().keyId(), null, ADMIN);
    int before = store.commits();
    assertThatThrownBy(() -> keys.rotate(old.record().keyId(), null, ADMIN))
        .isInstanceOf(KeygateException.Conflict.class);
    assertThat(store.commits()).isEqualTo(before);
    CreatedKey revoked = create("acme");
    keys.revoke(revoked.record().keyId(), null, ADMIN);
    assertThatThrownBy(() -> keys.rotate(revoked.record().keyId(), null, ADMIN))
        .isInstanceOf(KeygateException.Conflict.class);
  }

  @Test
  void rotate_graceAbovePolicyMaxOrNegative_isRejected() {
    CreatedKey old = create("acme");
    assertInvalid(
        () -> keys.rotate(old.record().keyId(), Duration.ofDays(30).plusSeconds(1), ADMIN),
        "invalid_grace_period");
    assertInvalid(
        () -> keys.rotate(old.record().keyId(), Duration.ofSeconds(-1), ADMIN),
        "invalid_grace_period");
    assertThat(keys.rotate(old.record().keyId(), Duration.ofDays(30), ADMIN).oldKeyRevokesAt())
        .isEqualTo(clock.instant().plus(Duration.ofDays(30)));
  }

  @Test
  void rotate_storeFailsMidway_writesNeitherKey() {
    InMemoryKeyStore real = new InMemoryKeyStore();
    int[] appends = {0};
    KeyStore failing =
        (KeyStore)
            Proxy.newProxyInstance(
                KeyStore.class.getClassLoader(),
                new Class<?>[] {KeyStore.class},
                (proxy, m, args) -> {
                  if (m.getName().equals("inTransaction")) {
                    @SuppressWarnings("unchecked")
                    Function<KeyStoreTx, Object> work = (Function<KeyStoreTx, Object>) args[0];
                    return real.inTransaction(tx -> work.apply(failOnSecondAudit(tx, appends)));
                  }
                  return m.invoke(real, args);
                });
    Keygate g = build(failing);
    CreatedKey old = g.keys().create(req("acme"), ADMIN);
    appends[0] = 0;
    assertThatThrownBy(() -> g.keys().rotate(old.record().keyId(), null, ADMIN))
        .isInstanceOf(IllegalStateException.class);
    assertThat(real.list(new KeyQuery(null, null, null, 50, null), clock.instant()).items())
        .containsExactly(old.record());
    assertThat(real.auditAfter(0, 100)).hasSize(1);
    assertThat(g.verifier().verify(VerifyRequest.of(old.secret().reveal())).valid()).isTrue();
  }

  private static KeyStoreTx failOnSecondAudit(KeyStoreTx tx, int[] appends) {
    return new KeyStoreTx() {
      @Override
      public Optional<ApiKeyRecord> lockKey(String keyId) {
        return tx.lockKey(keyId);
      }

      @Override
      public void insertKey(ApiKeyRecord key) {
        tx.insertKey(key);
      }

      @Override
      public void updateKey(ApiKeyRecord key) {
        tx.updateKey(key);
      }

      @Override
      public AuditEvent appendAudit(AuditEntry entry) {
        if (++appends[0] == 2) {
          throw new IllegalStateException("simulated store failure");
        }
        return tx.appendAudit(entry);
      }

      @Override
      public void enqueueEvent(OutboxEvent event) {
        tx.enqueueEvent(event);
      }

      @Override
      public boolean insertIncident(LeakIncident incident) {
        return tx.insertIncident(incident);
      }

      @Override
      public void insertCanary(Canary canary) {
        tx.insertCanary(canary);
      }
    };
  }

  // ---- usage ----

  @Test
  void flushUsage_afterNVerifies_writesUsageCountAndLastUsedAt() {
    CreatedKey k = create("acme");
    Instant first = clock.instant();
    for (int i = 0; i < 12; i++) {
      assertThat(verify(k).valid()).isTrue();
      clock.advance(Duration.ofMinutes(1));
    }
    assertThat(stored(k.record().keyId()).usageCount()).isZero();
    assertThat(kg.flushUsage()).isEqualTo(1);
    ApiKeyRecord r = stored(k.record().keyId());
    assertThat(r.usageCount()).isEqualTo(12);
    assertThat(r.lastUsedAt()).isEqualTo(first.plus(Duration.ofMinutes(11)));
    // A later change through the lifecycle keeps the flushed usage.
    keys.disable(r.keyId(), ADMIN);
    assertThat(stored(r.keyId()).usageCount()).isEqualTo(12);
  }
}
