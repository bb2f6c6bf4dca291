package io.keygate.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.events.EventTypes;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.Checksum;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.lifecycle.KeyPatch;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import io.keygate.core.testing.InMemoryKeyStore;
import io.keygate.core.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Scopes/endpoint rules, rate limits, quotas and the brute-force guard on the verify path. */
class VerifierEnforcementTest {
  private static final Actor ADMIN = new Actor("key_admin", null, null);
  private static final Pepper PEPPER =
      new Pepper(1, "enforcement-test-pepper-0123456789abcdef".getBytes(StandardCharsets.US_ASCII));

  private ManualClock clock;
  private InMemoryKeyStore store;
  private Keygate kg;

  @BeforeEach
  void setUp() {
    // 10:30 on a day, so hourly windows are mid-way
    clock = new ManualClock(Instant.parse("2026-03-10T10:30:00Z"));
    store = new InMemoryKeyStore();
    kg = build(null);
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  private Keygate build(BruteForceGuard.Policy bf) {
    return Keygate.builder().store(store).pepper(PEPPER).clock(clock).bruteForce(bf).build();
  }

  /**
   * A brute-force policy blocking an address after {@code failures} failures within a minute, for
   * 60 seconds at first, doubling up to 10 minutes.
   */
  private static BruteForceGuard.Policy bruteForce(int failures) {
    return new BruteForceGuard.Policy(
        failures, Duration.ofMinutes(1), Duration.ofSeconds(60), Duration.ofMinutes(10));
  }

  /** Verifies {@code key} presented from {@code ip}. */
  private Verification verifyFrom(String ip, String key) {
    return kg.verifier().verify(new VerifyRequest(key, ip, null, null, null));
  }

  /** Authenticates admin credential {@code token} presented from {@code ip}. */
  private Verification authenticateFrom(String ip, String token) {
    return kg.verifier().authenticate(new VerifyRequest(token, ip, null, null, null));
  }

  private String key(List<String> scopes, List<RateLimit> limits, Quota quota) {
    CreatedKey k =
        kg.keys()
            .create(
                new CreateKey(null, "acme", "t", scopes, null, limits, null, null, quota), ADMIN);
    return k.secret().reveal();
  }

  private Verification verify(String key) {
    return kg.verifier().verify(VerifyRequest.of(key));
  }

  // ------------------------------------------------------------------ scopes and endpoint rules

  @Test
  void requiredScopesAll_needsEveryScope_anyOfNeedsOne() {
    String k = key(List.of("read", "write"), null, null);
    Verifier v = kg.verifier();
    assertThat(v.verify(new VerifyRequest(k, null, List.of("admin", "read"), null, null)).valid())
        .isTrue();
    assertThat(
            v.verify(new VerifyRequest(k, null, List.of(), null, null, List.of("read", "write"), 1))
                .valid())
        .isTrue();
    Verification no =
        v.verify(new VerifyRequest(k, null, List.of(), null, null, List.of("read", "admin"), 1));
    assertThat(no.outcome()).isEqualTo(Outcome.INSUFFICIENT_SCOPE);
  }

  @Test
  void endpointRules_requestMustMatchOne_whenMethodAndPathAreGiven() {
    String k = key(List.of("read", "GET /v1/data/**", "* /v1/public/*"), null, null);
    Verifier v = kg.verifier();
    assertThat(v.verify(new VerifyRequest(k, null, List.of(), "GET", "/v1/data/a/b")).valid())
        .isTrue();
    assertThat(v.verify(new VerifyRequest(k, null, List.of(), "HEAD", "/v1/data")).valid())
        .isTrue();
    assertThat(v.verify(new VerifyRequest(k, null, List.of(), "POST", "/v1/public/x")).valid())
        .isTrue();
    assertThat(v.verify(new VerifyRequest(k, null, List.of(), "POST", "/v1/data/a")).outcome())
        .isEqualTo(Outcome.INSUFFICIENT_SCOPE);
    assertThat(v.verify(new VerifyRequest(k, null, List.of(), "GET", "/v1/public/x/y")).outcome())
        .isEqualTo(Outcome.INSUFFICIENT_SCOPE);
    assertThat(
            v.verify(new VerifyRequest(k, null, List.of(), "GET", "/v1/data/../admin")).outcome())
        .isEqualTo(Outcome.INSUFFICIENT_SCOPE);
    assertThat(v.verify(new VerifyRequest(k, null, List.of(), "GET", "/v1/x/../data/y")).valid())
        .as("dot segments resolved before matching")
        .isTrue();
    assertThat(v.verify(new VerifyRequest(k, null, List.of(), "GET", "/v1/%64ata?q=1")).valid())
        .as("escapes decoded, query dropped")
        .isTrue();
  }

  @Test
  void endpointRules_failClosed_withoutMethodOrPath() {
    String k = key(List.of("read", "GET /v1/data/**"), null, null);
    Verifier v = kg.verifier();
    for (VerifyRequest r :
        List.of(
            new VerifyRequest(k, null, List.of("read"), null, null),
            new VerifyRequest(k, null, List.of(), "GET", null),
            new VerifyRequest(k, null, List.of(), null, "/v1/data/x"),
            VerifyRequest.of(k))) {
      Verification no = v.verify(r);
      assertThat(no.outcome()).as(r.toString()).isEqualTo(Outcome.INSUFFICIENT_SCOPE);
      assertThat(((Verification.Rejected) no).message()).contains("no method and path");
    }
    // a key without rules needs neither
    assertThat(verify(key(List.of("read"), null, null)).valid()).isTrue();
  }

  @Test
  void verifyRequest_refusesWhatItCannotNormalise() {
    String k = key(null, null, null);
    assertThatThrownBy(() -> new VerifyRequest(k, null, List.of(), "GET", "/v1/%2e%2e/admin"))
        .isInstanceOfSatisfying(
            KeygateException.InvalidRequest.class,
            e -> assertThat(e.code()).isEqualTo("invalid_path"));
    for (String m : List.of("", "G ET", "GET\r\n", "G(T", "X".repeat(33))) {
      assertThatThrownBy(() -> new VerifyRequest(k, null, List.of(), m, "/"))
          .as(m)
          .isInstanceOfSatisfying(
              KeygateException.InvalidRequest.class,
              e -> assertThat(e.code()).isEqualTo("invalid_method"));
    }
    for (String ip : List.of("", "localhost", "010.0.0.1", "127.1", "1.2.3.4:80", " 1.2.3.4")) {
      assertThatThrownBy(() -> new VerifyRequest(k, ip, List.of(), null, null))
          .as(ip)
          .isInstanceOfSatisfying(
              KeygateException.InvalidRequest.class,
              e -> assertThat(e.code()).isEqualTo("invalid_ip"));
    }
    VerifyRequest r = new VerifyRequest(k, "[::FFFF:192.0.2.1]", List.of(), "M-SEARCH", "/a/./b");
    assertThat(r.ip()).isEqualTo("192.0.2.1");
    assertThat(r.path()).isEqualTo("/a/b");
    assertThat(r.withUserAgent("ua").path()).isEqualTo("/a/b");
  }

  @Test
  void endpointRules_malformed_areRefusedAtCreationWithPreciseMessage() {
    assertThatThrownBy(() -> key(List.of("FETCH /v1/x"), null, null))
        .isInstanceOf(KeygateException.InvalidRequest.class)
        .hasMessageContaining("HTTP method")
        .extracting(e -> ((KeygateException) e).code())
        .isEqualTo("invalid_scopes");
    assertThatThrownBy(() -> key(List.of("GET /v1/da*ta"), null, null))
        .hasMessageContaining("wildcards must be whole segments");
    assertThatThrownBy(() -> key(List.of("GET v1/data"), null, null))
        .hasMessageContaining("starting with /");
  }

  // ------------------------------------------------------------------ rate limits

  @Test
  void rateLimit_32threads_admitExactlyN_thenRefillAfterWindow() throws Exception {
    int n = 500;
    String k = key(null, List.of(new RateLimit("default", n, Duration.ofHours(1))), null);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger limited = new AtomicInteger();
    hammer(32, 40, () -> count(verify(k), ok, limited));
    assertThat(ok.get()).isEqualTo(n);
    assertThat(limited.get()).isEqualTo(32 * 40 - n);

    Verification refused = verify(k);
    assertThat(refused.outcome()).isEqualTo(Outcome.RATE_LIMITED);
    Verification.Rejected r = (Verification.Rejected) refused;
    assertThat(r.retryAfterSeconds()).isEqualTo(30 * 60);
    assertThat(r.rateLimits()).containsExactly(new LimitState("default", n, 0, 30 * 60));

    clock.advance(Duration.ofMinutes(30));
    Verification again = verify(k);
    assertThat(again.valid()).isTrue();
    assertThat(again.rateLimits()).containsExactly(new LimitState("default", n, n - 1, 3600));
  }

  @Test
  void rateLimit_burstRefuses_withoutTakingFromHourly() {
    String k =
        key(
            null,
            List.of(
                new RateLimit("hourly", 100, Duration.ofHours(1)),
                new RateLimit("burst", 5, Duration.ofSeconds(1))),
            null);
    for (int i = 0; i < 5; i++) {
      assertThat(verify(k).valid()).isTrue();
    }
    for (int i = 0; i < 10; i++) {
      Verification v = verify(k);
      assertThat(v.outcome()).isEqualTo(Outcome.RATE_LIMITED);
      assertThat(v.rateLimits())
          .containsExactly(
              new LimitState("hourly", 100, 95, 1800), new LimitState("burst", 5, 0, 1));
      assertThat(((Verification.Rejected) v).retryAfterSeconds()).isEqualTo(1);
    }
    clock.advance(Duration.ofSeconds(1));
    Verification v = verify(k);
    assertThat(v.valid()).isTrue();
    assertThat(v.rateLimits())
        .containsExactly(new LimitState("hourly", 100, 94, 1799), new LimitState("burst", 5, 4, 1));
    assertThat(LimitState.mostRestrictive(v.rateLimits()).name()).isEqualTo("burst");
  }

  @Test
  void rateLimit_defaultsByType_applyToKeysWithoutLimits() {
    kg =
        Keygate.builder()
            .store(store)
            .pepper(PEPPER)
            .clock(clock)
            .defaultRateLimits(
                Map.of("live_secret", List.of(new RateLimit("minute", 2, Duration.ofMinutes(1)))))
            .build();
    String k = key(null, null, null);
    assertThat(verify(k).valid()).isTrue();
    assertThat(verify(k).valid()).isTrue();
    assertThat(verify(k).outcome()).isEqualTo(Outcome.RATE_LIMITED);
  }

  // ------------------------------------------------------------------ quotas

  @Test
  void quota_costAboveOne_exhaustion_andDailyRefill() {
    String k = key(null, null, new Quota(10, 10, Quota.Refill.DAILY, Instant.EPOCH));
    Verifier v = kg.verifier();
    Verification first = v.verify(new VerifyRequest(k, null, null, null, null, null, 4));
    assertThat(first.valid()).isTrue();
    assertThat(first.quotaRemaining()).isEqualTo(6);
    assertThat(v.verify(new VerifyRequest(k, null, null, null, null, null, 6)).quotaRemaining())
        .isZero();
    Verification out = v.verify(new VerifyRequest(k, null, null, null, null, null, 1));
    assertThat(out.outcome()).isEqualTo(Outcome.QUOTA_EXCEEDED);
    assertThat(out.quotaRemaining()).isZero();
    assertThat(((Verification.Rejected) out).retryAfterSeconds()).isEqualTo(13 * 3600 + 30 * 60);

    clock.advance(Duration.ofHours(14));
    assertThat(verify(k).quotaRemaining()).isEqualTo(9);
  }

  @Test
  void quota_concurrentSpending_neverOverspends() throws Exception {
    String k = key(null, null, new Quota(300, 0, null, Instant.EPOCH));
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    hammer(16, 50, () -> count(verify(k), ok, refused));
    assertThat(ok.get()).isEqualTo(300);
  }

  @Test
  void quota_flushedConsumption_survivesRebuild_andPatchResetsBalance() {
    String k = key(null, null, new Quota(100, 0, null, Instant.EPOCH));
    for (int i = 0; i < 30; i++) {
      assertThat(verify(k).valid()).isTrue();
    }
    kg.flushUsage();
    Keygate again = build(null);
    assertThat(again.verifier().verify(VerifyRequest.of(k)).quotaRemaining()).isEqualTo(69);

    String id = again.verifier().find(k).orElseThrow().keyId();
    again
        .keys()
        .update(
            id,
            new KeyPatch(null, null, null, null, null, null, new Quota(5, 0, null, Instant.EPOCH)),
            ADMIN);
    assertThat(again.verifier().verify(VerifyRequest.of(k)).quotaRemaining()).isEqualTo(3);
  }

  // ------------------------------------------------------------------ brute force

  @Test
  void bruteForce_blocksAfterThreshold_otherAddressesUnaffected_blocksDouble() {
    BruteForceGuard.Policy p = bruteForce(5);
    kg = build(p);
    String good = key(null, null, null);
    SecureRandom rnd = new SecureRandom();
    List<Outcome> seen = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      seen.add(verifyFrom("203.0.113.7", randomKey(rnd)).outcome());
    }
    assertThat(seen.subList(0, 5)).containsOnly(Outcome.INVALID_KEY);
    assertThat(seen.subList(5, 20)).containsOnly(Outcome.RATE_LIMITED);
    // even a valid key is refused from the blocked address; another address is unaffected
    assertThat(verifyFrom("203.0.113.7", good).outcome()).isEqualTo(Outcome.RATE_LIMITED);
    assertThat(verifyFrom("198.51.100.1", good).valid()).isTrue();

    clock.advance(Duration.ofSeconds(60));
    // the block is over: a valid key from the address is accepted again
    assertThat(verifyFrom("203.0.113.7", good).valid()).isTrue();
    for (int i = 0; i < 5; i++) {
      assertThat(verifyFrom("203.0.113.7", randomKey(rnd)).outcome())
          .isEqualTo(Outcome.INVALID_KEY);
    }
    Verification second = verifyFrom("203.0.113.7", randomKey(rnd));
    assertThat(((Verification.Rejected) second).retryAfterSeconds()).isEqualTo(120);
    // a block started after an earlier one ended holds as the first did
    assertThat(verifyFrom("203.0.113.7", good).outcome()).isEqualTo(Outcome.RATE_LIMITED);

    kg.flushUsage();
    List<AuditEvent> blocks =
        store.audit(new AuditQuery(null, null, 100, null)).stream()
            .filter(e -> e.entry().action().equals("ip.blocked"))
            .toList();
    assertThat(blocks).hasSize(2);
    assertThat(blocks.get(1).entry().details())
        .containsEntry("ip", "203.0.113.7")
        .containsEntry("attempts", "5")
        .containsEntry("block_seconds", "60");
    assertThat(store.outbox(null, null, 100))
        .filteredOn(e -> e.type().equals(EventTypes.ANOMALY_DETECTED))
        .hasSize(2)
        .allSatisfy(e -> assertThat(e.data()).containsEntry("kind", "brute_force"));
  }

  @Test
  void bruteForce_ipv6_isCountedPer64_andIpv4MappedAsIpv4() {
    kg = build(bruteForce(5));
    String good = key(null, null, null);
    SecureRandom rnd = new SecureRandom();
    // five guesses from five addresses (and spellings) of one /64: blocked
    List<String> one64 =
        List.of(
            "2001:db8:7:1::1",
            "2001:db8:7:1::2",
            "2001:DB8:7:1:ffff:ffff:ffff:fffe",
            "[2001:db8:7:1::abcd]",
            "2001:db8:7:1:0:0:0:9");
    for (String ip : one64) {
      assertThat(verifyFrom(ip, randomKey(rnd)))
          .extracting(Verification::outcome)
          .isEqualTo(Outcome.INVALID_KEY);
    }
    assertThat(verifyFrom("2001:db8:7:1::77", good).outcome())
        .as("another address of the blocked /64")
        .isEqualTo(Outcome.RATE_LIMITED);
    assertThat(verifyFrom("2001:db8:7:2::1", good).valid()).as("the neighbouring /64").isTrue();

    // IPv4 and its mapped spelling are one address, counted alone (not lumped into ::ffff:0:0/64)
    for (int i = 0; i < 5; i++) {
      String ip = i % 2 == 0 ? "192.0.2.9" : "::ffff:192.0.2.9";
      verifyFrom(ip, randomKey(rnd));
    }
    assertThat(verifyFrom("192.0.2.9", good).outcome()).isEqualTo(Outcome.RATE_LIMITED);
    assertThat(verifyFrom("::ffff:192.0.2.10", good).valid()).isTrue();
    // the source address given apart from the request is normalised too
    assertThat(
            kg.verifier().verify(VerifyRequest.of(good), "[2001:db8:7:1:0:0:0:5%eth0]").outcome())
        .isEqualTo(Outcome.RATE_LIMITED);

    kg.flushUsage();
    assertThat(store.audit(new AuditQuery(null, null, 100, null)))
        .filteredOn(e -> e.entry().action().equals("ip.blocked"))
        .extracting(e -> e.entry().details().get("ip"))
        .containsExactlyInAnyOrder("2001:db8:7:1::/64", "192.0.2.9");
  }

  @Test
  void keyInUrl_isRefused_countsTowardsBruteForce_andNotifiesOncePerKey() {
    kg = build(bruteForce(3));
    String k = key(null, null, null);
    SecureRandom rnd = new SecureRandom();
    ApiKeySecret stored = new ApiKeySecret(k);
    ApiKeySecret unknown = new ApiKeySecret(randomKey(rnd));
    assertThat(kg.verifier().keyInUrl(stored, "192.0.2.5", "curl").outcome())
        .isEqualTo(Outcome.API_KEY_IN_URL);
    assertThat(kg.verifier().keyInUrl(unknown, "192.0.2.5", "curl").outcome())
        .as("same answer for a key that does not exist")
        .isEqualTo(Outcome.API_KEY_IN_URL);
    assertThat(kg.verifier().keyInUrl(stored, "::ffff:192.0.2.5", "curl").outcome())
        .as("the third attempt starts the block and is still answered")
        .isEqualTo(Outcome.API_KEY_IN_URL);
    assertThat(kg.verifier().keyInUrl(stored, "192.0.2.5", "curl").outcome())
        .isEqualTo(Outcome.RATE_LIMITED);
    assertThat(verifyFrom("192.0.2.5", k).outcome())
        .as("the address is blocked for valid keys too")
        .isEqualTo(Outcome.RATE_LIMITED);
    for (int i = 0; i < 20; i++) {
      kg.verifier().keyInUrl(stored, "198.51.100." + i, "curl");
    }
    assertExposedInUrlRecordedOnce();
    assertThat(verifyFrom("203.0.113.1", k).valid()).as("not revoked automatically").isTrue();
  }

  /** After a flush: one key-exposed-in-URL event for {@code acme} and one audit entry. */
  private void assertExposedInUrlRecordedOnce() {
    kg.flushUsage();
    assertThat(store.outbox(null, null, 100))
        .filteredOn(e -> e.type().equals(EventTypes.KEY_EXPOSED_IN_URL))
        .hasSize(1)
        .allSatisfy(e -> assertThat(e.ownerId()).isEqualTo("acme"));
    assertThat(store.audit(new AuditQuery(null, null, 100, null)))
        .filteredOn(e -> e.entry().action().equals("key.exposed_in_url"))
        .hasSize(1);
  }

  @Test
  void exposedInUrl_queuesOneEventPerKeyWithinWindow() {
    String k = key(null, null, null);
    for (int i = 0; i < 50; i++) {
      kg.verifier().keyInUrl(new ApiKeySecret(k), "192.0.2.5", null);
    }
    assertExposedInUrlRecordedOnce();
    assertThat(verify(k).valid()).as("not revoked automatically").isTrue();
  }

  @Test
  void rateLimited_notifiesTheOwnerOncePerKeyPerWindow_thenAgainAfterIt() {
    String k = key(null, List.of(new RateLimit("tiny", 1, Duration.ofHours(1))), null);
    assertThat(verify(k).valid()).isTrue();
    for (int i = 0; i < 20; i++) {
      assertThat(verify(k).outcome()).isEqualTo(Outcome.RATE_LIMITED);
    }
    kg.flushUsage();
    assertThat(store.outbox(null, null, 100))
        .filteredOn(e -> e.type().equals(EventTypes.RATELIMIT_EXCEEDED))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.ownerId()).isEqualTo("acme");
              assertThat(e.data()).containsEntry("code", "rate_limited");
            });
    clock.advance(SecurityEvents.EXPOSURE_DEDUPE.plusSeconds(1));
    assertThat(verify(k).outcome()).isEqualTo(Outcome.RATE_LIMITED);
    kg.flushUsage();
    assertThat(store.outbox(null, null, 100))
        .filteredOn(e -> e.type().equals(EventTypes.RATELIMIT_EXCEEDED))
        .hasSize(2);
  }

  // ------------------------------------------------------------------ helpers

  static String randomKey(SecureRandom rnd) {
    String body = KeyFormat.randomBase62(rnd, KeyFormat.BODY_LENGTH);
    return "sk_live_" + body + Checksum.of(body);
  }

  private static void count(Verification v, AtomicInteger ok, AtomicInteger no) {
    if (v.valid()) {
      ok.incrementAndGet();
    } else {
      no.incrementAndGet();
    }
  }

  private static void hammer(int threads, int perThread, Runnable r) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      fs.add(
          pool.submit(
              () -> {
                go.await();
                for (int i = 0; i < perThread; i++) {
                  r.run();
                }
                return null;
              }));
    }
    go.countDown();
    for (Future<?> f : fs) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void bruteForce_apiKeyGuessesAndAdminTokenFailures_countSeparately_eachBlockingOnlyItsKind() {
    kg = build(bruteForce(5));
    String good = key(null, null, null);
    String token = kg.adminTokens().create(null, null, "ops", null, ADMIN).secret().reveal();
    SecureRandom rnd = new SecureRandom();
    String victim = "198.51.100.20";
    // A verify caller passing the victim admin's address with bad keys (also admin tokens and
    // canary-free garbage) blocks that address for API keys only ...
    for (int i = 0; i < 10; i++) {
      verifyFrom(victim, randomKey(rnd));
    }
    verifyFrom(victim, token);
    assertThat(verifyFrom(victim, good).outcome()).isEqualTo(Outcome.RATE_LIMITED);
    // ... while the admin still authenticates from it.
    assertThat(authenticateFrom(victim, token).valid()).isTrue();

    // Admin-token failures are still counted and blocked, in their own counters.
    String attacker = "203.0.113.30";
    List<Outcome> admin = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      String guess = i % 2 == 0 ? randomKey(rnd) : "kg_admin_" + "x".repeat(49);
      admin.add(authenticateFrom(attacker, guess).outcome());
    }
    assertThat(admin.subList(0, 5)).containsOnly(Outcome.INVALID_KEY);
    assertThat(admin.subList(5, 8)).containsOnly(Outcome.RATE_LIMITED);
    assertThat(authenticateFrom(attacker, token).outcome()).isEqualTo(Outcome.RATE_LIMITED);
    assertThat(verifyFrom(attacker, good).valid()).isTrue();
    // An API key presented as admin token is refused, but is a real key, not a guess.
    String third = "192.0.2.40";
    for (int i = 0; i < 10; i++) {
      assertThat(authenticateFrom(third, good).outcome()).isEqualTo(Outcome.INVALID_KEY);
    }
    assertThat(authenticateFrom(third, token).valid()).isTrue();

    kg.flushUsage();
    assertThat(store.audit(new AuditQuery(null, null, 100, null)))
        .filteredOn(e -> e.entry().action().equals("ip.blocked"))
        .extracting(
            e -> e.entry().details().get("ip") + " " + e.entry().details().get("credential"))
        .containsExactlyInAnyOrder(victim + " api_key", attacker + " admin_token");
  }

  @Test
  void ownerLimitedVerify_otherOwnersKey_isAnsweredExactlyAsAnUnknownKey_andSpendsNothing() {
    CreatedKey globex =
        kg.keys()
            .create(
                new CreateKey(
                    null,
                    "globex",
                    "g",
                    null,
                    null,
                    List.of(new RateLimit("m", 2, Duration.ofMinutes(1))),
                    null,
                    null,
                    new Quota(2, 0, null, clock.instant())),
                ADMIN);
    String g = globex.secret().reveal();
    String acme = key(null, null, null);
    Verifier v = kg.verifier();
    for (int i = 0; i < 5; i++) {
      Verification other = v.verify(VerifyRequest.of(g), null, "acme");
      assertThat(other.outcome()).isEqualTo(Outcome.INVALID_KEY);
      assertThat(other.key()).isNull();
      assertThat(other.rateLimits()).isEmpty();
      assertThat(other.quotaRemaining()).isNull();
      assertThat(((Verification.Rejected) other).message())
          .isEqualTo(((Verification.Rejected) verify(randomKey(new SecureRandom()))).message());
    }
    assertThat(v.verify(VerifyRequest.of(acme), null, "acme").valid()).isTrue();
    // the other owner's limits and quota were not touched by the refused calls
    Verification own = v.verify(VerifyRequest.of(g), null, "globex");
    assertThat(own.valid()).isTrue();
    assertThat(own.quotaRemaining()).isEqualTo(1);
    kg.keys().revoke(globex.record().keyId(), "x", ADMIN);
    assertThat(v.verify(VerifyRequest.of(g), null, "acme").outcome())
        .isEqualTo(Outcome.INVALID_KEY);
    assertThat(v.verify(VerifyRequest.of(g), null, null).outcome()).isEqualTo(Outcome.KEY_REVOKED);
  }

  @Test
  void storedSettingsThatCannotBeRead_failClosedForThatKey_untilAnUpdateFixesThem() {
    // Keys stored before every write path validated their settings (e.g. imported with a rule
    // that does not parse) must be refused, never answered with an error.
    List<String> badRules = List.of("GET /v1/x/../y", "read write", "FETCH /x", "GET v1");
    List<List<String>> badAllowlists = List.of(List.of("localhost"), List.of("10.0.0.0/33"));
    for (String bad : badRules) {
      CreatedKey k =
          kg.keys().create(new CreateKey(null, "acme", null, null, null, null, null, null), ADMIN);
      corrupt(k, List.of("read", bad), List.of());
      for (VerifyRequest r :
          List.of(
              VerifyRequest.of(k.secret().reveal()),
              new VerifyRequest(
                  k.secret().reveal(), "10.0.0.1", List.of("read"), "GET", "/v1/x"))) {
        Verification v = kg.verifier().verify(r);
        assertThat(v.outcome()).as(bad).isEqualTo(Outcome.INSUFFICIENT_SCOPE);
        assertThat(((Verification.Rejected) v).message()).contains("cannot be read");
      }
      assertThatThrownBy(
              () ->
                  kg.keys()
                      .update(
                          k.record().keyId(),
                          new KeyPatch("renamed", null, null, null, null, null),
                          ADMIN))
          .isInstanceOf(KeygateException.InvalidRequest.class);
      kg.keys()
          .update(
              k.record().keyId(),
              new KeyPatch(null, List.of("read"), null, null, null, null),
              ADMIN);
      assertThat(verify(k.secret().reveal()).valid()).isTrue();
    }
    for (List<String> bad : badAllowlists) {
      CreatedKey k =
          kg.keys().create(new CreateKey(null, "acme", null, null, null, null, null, null), ADMIN);
      corrupt(k, List.of("read"), bad);
      Verification v =
          kg.verifier()
              .verify(new VerifyRequest(k.secret().reveal(), "10.0.0.1", null, null, null));
      assertThat(v.outcome()).isEqualTo(Outcome.IP_NOT_ALLOWED);
      kg.keys()
          .update(k.record().keyId(), new KeyPatch(null, null, List.of(), null, null, null), ADMIN);
      assertThat(verify(k.secret().reveal()).valid()).isTrue();
    }
  }

  /** Writes settings past every validation, as rows stored by an older version could hold. */
  private void corrupt(CreatedKey k, List<String> scopes, List<String> allowlist) {
    store.inTransaction(
        tx -> {
          var cur = tx.lockKey(k.record().keyId()).orElseThrow();
          var s = cur.settings();
          tx.updateKey(
              cur.withSettings(
                  new KeySettings(s.name(), scopes, allowlist, s.rateLimits(), s.meta(), s.quota()),
                  cur.expiresAt(),
                  cur.updatedAt()));
          return null;
        });
    kg.verifier().invalidate(k.record().hash());
  }
}
