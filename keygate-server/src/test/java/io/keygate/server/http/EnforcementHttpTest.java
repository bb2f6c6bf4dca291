package io.keygate.server.http;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.events.EventTypes;
import io.keygate.core.key.Checksum;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.server.testing.TestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Per-key enforcement over real HTTP (real server, real SQLite, manual clock): every verify outcome
 * code through {@code /v1/authz} and {@code /v1/verify}, rate-limit accuracy under concurrency and
 * its headers, quotas across a restart, brute-force blocking and keys in URLs.
 */
class EnforcementHttpTest extends ServerPerTest {
  private static final SecureRandom RND = new SecureRandom();

  @AfterEach
  void stop() {
    if (t != null) {
      t.close();
    }
  }

  private String create(Object... fields) {
    Object[] all = new Object[fields.length + 2];
    all[0] = "owner_id";
    all[1] = "acme";
    System.arraycopy(fields, 0, all, 2, fields.length);
    return t.createKey(all).path("api_key").asText();
  }

  private String id(String raw) {
    return t.server.keygate().verifier().find(raw).orElseThrow().keyId();
  }

  private static String randomKey() {
    String body = KeyFormat.randomBase62(RND, KeyFormat.BODY_LENGTH);
    return "sk_live_" + body + Checksum.of(body);
  }

  private TestServer.Response authz(String key, String... headers) {
    TestServer.Req r = t.req("GET", "/v1/authz").token(null);
    if (key != null) {
      r.header("X-API-Key", key);
    }
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return r.send();
  }

  // ------------------------------------------------------------------ the outcome table

  /** One row: how to ask, what to expect from /v1/authz and /v1/verify. */
  private record Row(
      String code,
      int authzStatus,
      String key,
      String[] authzHeaders,
      Object[] verifyFields,
      boolean viaVerify) {}

  @Test
  void everyOutcomeCode_overAuthzAndVerify() {
    String valid = create("scopes", List.of("read"));
    String revoked = create();
    t.post("/v1/keys/" + id(revoked) + "/revoke", map("reason", "test")).expect(200);
    String expiring = create("expires_in_days", 1);
    String disabled = create();
    t.post("/v1/keys/" + id(disabled) + "/disable", map()).expect(200);
    String allowlisted = create("ip_allowlist", List.of("10.0.0.0/8"));
    String limited = create("rate_limit", map("requests", 1, "window", 3600));
    String metered = create("quota", map("remaining", 1));
    t.clock.advance(Duration.ofDays(2));
    // use up the rate limit and the quota (once per route)
    authz(limited).expect(200);
    authz(metered).expect(200);

    List<Row> rows =
        List.of(
            new Row("valid", 200, valid, new String[0], new Object[0], true),
            new Row("missing_api_key", 401, null, new String[0], new Object[0], true),
            new Row("invalid_key", 401, randomKey(), new String[0], new Object[0], true),
            new Row("key_revoked", 401, revoked, new String[0], new Object[0], true),
            new Row("key_expired", 401, expiring, new String[0], new Object[0], true),
            new Row("key_disabled", 401, disabled, new String[0], new Object[0], true),
            new Row(
                "ip_not_allowed",
                403,
                allowlisted,
                new String[0],
                new Object[] {"ip", "192.0.2.1"},
                true),
            new Row(
                "insufficient_scope",
                403,
                valid,
                new String[] {"X-Keygate-Required-Scopes", "admin"},
                new Object[] {"required_scopes", List.of("admin")},
                true),
            new Row("rate_limited", 429, limited, new String[0], new Object[0], true),
            new Row("quota_exceeded", 429, metered, new String[0], new Object[0], false),
            new Row(
                "api_key_in_url",
                403,
                null,
                new String[] {"X-Original-URI", "/v1/data?api_key=" + valid},
                new Object[0],
                false));

    for (Row row : rows) {
      TestServer.Response a = authz(row.key(), row.authzHeaders());
      assertThat(a.expectAuthz(row.authzStatus()))
          .as("authz code for %s", row.code())
          .isEqualTo(row.code().equals("valid") ? null : row.code());
      if (row.authzStatus() == 401) {
        assertThat(a.header("WWW-Authenticate")).contains(row.code());
      }
      if (row.authzStatus() != 200) {
        assertThat(a.header("X-Keygate-Error")).isEqualTo(row.code());
      }
      if (row.code().equals("rate_limited")) {
        assertThat(Long.parseLong(a.header("Retry-After"))).as(row.code()).isPositive();
      }
      if (row.code().equals("quota_exceeded")) {
        // a one-off quota never refills, so no retry time is promised
        assertThat(a.header("Retry-After")).isNull();
        assertThat(a.header("X-Keygate-Quota-Remaining")).isEqualTo("0");
      }
      if (row.code().equals("rate_limited")) {
        assertThat(a.header("RateLimit-Limit")).isEqualTo("1");
        assertThat(a.header("RateLimit-Remaining")).isEqualTo("0");
        assertThat(a.header("RateLimit-Reset")).isEqualTo(a.header("Retry-After"));
      }
      if (row.viaVerify()) {
        Object[] f = new Object[row.verifyFields().length + 2];
        System.arraycopy(row.verifyFields(), 0, f, 0, row.verifyFields().length);
        f[f.length - 2] = "key";
        f[f.length - 1] = row.key();
        JsonNode v = t.post("/v1/verify", map(f)).expect(200);
        assertThat(v.path("code").asText()).as("verify code").isEqualTo(row.code());
        assertThat(v.path("valid").asBoolean()).isEqualTo(row.code().equals("valid"));
      }
    }
    // quota_exceeded through /v1/verify, with a cost
    String metered2 = create("quota", map("remaining", 5));
    JsonNode v = t.verify(metered2, "cost", 4);
    assertThat(v.path("quota").path("remaining").asLong()).isEqualTo(1);
    v = t.verify(metered2, "cost", 2);
    assertThat(v.path("code").asText()).isEqualTo("quota_exceeded");
    assertThat(v.path("quota").path("remaining").asLong()).isEqualTo(1);
  }

  // ------------------------------------------------------------------ rate limits

  @Test
  void rateLimit_32threadsOverHttp_admitExactlyN_headersCorrect_refillAfterWindow()
      throws Exception {
    int n = 200;
    t.clock.set(Instant.parse("2026-01-01T10:00:00Z"));
    String key = create("rate_limits", List.of(map("name", "hourly", "limit", n + "/hour")));
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger limited = new AtomicInteger();
    ConcurrentHashMap<Long, Boolean> remainingSeen = new ConcurrentHashMap<>();
    List<String> bad = Collections.synchronizedList(new ArrayList<>());
    hammer(
        32,
        10,
        () -> {
          TestServer.Response r = authz(key);
          if (r.status() == 200) {
            ok.incrementAndGet();
            remainingSeen.put(Long.parseLong(r.header("RateLimit-Remaining")), Boolean.TRUE);
          } else if (r.status() == 429) {
            limited.incrementAndGet();
            if (!"0".equals(r.header("RateLimit-Remaining"))
                || !"3600".equals(r.header("Retry-After"))) {
              bad.add(r.headers().toString());
            }
          } else {
            bad.add(r.status() + " " + r.body());
          }
          if (!String.valueOf(n).equals(r.header("RateLimit-Limit"))
              || !"3600".equals(r.header("RateLimit-Reset"))) {
            bad.add("headers " + r.headers());
          }
        });
    assertThat(bad).isEmpty();
    assertThat(ok.get()).isEqualTo(n);
    assertThat(limited.get()).isEqualTo(320 - n);
    // each admitted request saw a distinct remaining count: n-1 .. 0
    assertThat(remainingSeen.keySet()).hasSize(n).contains(0L, (long) n - 1);

    JsonNode v = t.verify(key);
    assertThat(v.path("code").asText()).isEqualTo("rate_limited");
    assertThat(v.path("retry_after").asLong()).isEqualTo(3600);
    assertThat(v.path("rate_limits").get(0).path("name").asText()).isEqualTo("hourly");
    assertThat(v.path("rate_limits").get(0).path("remaining").asLong()).isZero();

    t.clock.advance(Duration.ofHours(1));
    TestServer.Response r = authz(key);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("RateLimit-Remaining")).isEqualTo(String.valueOf(n - 1));
    assertThat(r.headers().entrySet())
        .filteredOn(e -> e.getKey().toLowerCase(Locale.ROOT).startsWith("ratelimit-"))
        .hasSize(3)
        .allSatisfy(e -> assertThat(e.getValue()).hasSize(1));
  }

  @Test
  void rateLimit_burstRefuses_hourlyKeepsItsTokens_overVerify() {
    String key =
        create("rate_limits", List.of("1000/hour", map("name", "burst", "limit", "3/second")));
    for (int i = 0; i < 3; i++) {
      assertThat(t.verify(key).path("valid").asBoolean()).isTrue();
    }
    for (int i = 0; i < 5; i++) {
      JsonNode v = t.verify(key);
      assertThat(v.path("code").asText()).isEqualTo("rate_limited");
      assertThat(v.path("rate_limits").get(0).path("name").asText()).isEqualTo("hour");
      assertThat(v.path("rate_limits").get(0).path("remaining").asLong()).isEqualTo(997);
      assertThat(v.path("rate_limits").get(1).path("remaining").asLong()).isZero();
    }
  }

  @Test
  void rateLimit_badCompactForm_isA400() {
    TestServer.Response r =
        t.post(
            "/v1/keys",
            map("owner_id", "acme", "rate_limits", List.of(map("name", "x", "limit", "5/week"))));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().path("error").asText()).isEqualTo("invalid_rate_limit");
  }

  @Test
  void endpointRules_overAuthz_andInvalidRuleIs400() {
    String key = create("scopes", List.of("GET /v1/data/**"));
    assertThat(authz(key, "X-Original-URI", "/v1/data/7", "X-Original-Method", "GET").status())
        .isEqualTo(200);
    TestServer.Response no = authz(key, "X-Original-URI", "/v1/admin", "X-Original-Method", "GET");
    assertThat(no.expectAuthz(403)).isEqualTo("insufficient_scope");

    TestServer.Response bad =
        t.post("/v1/keys", map("owner_id", "acme", "scopes", List.of("GET x")));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().path("error").asText()).isEqualTo("invalid_scopes");
  }

  // ------------------------------------------------------------------ quotas

  @Test
  void quota_costHeader_persistsAcrossRestart_refillsMonthly() {
    String key =
        create("quota", map("remaining", 10, "refill", map("amount", 50, "interval", "monthly")));
    TestServer.Response r = authz(key, "X-Keygate-Cost", "3");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("X-Keygate-Quota-Remaining")).isEqualTo("7");
    t.close(); // flushes
    t = servers.start(dir);
    assertThat(t.verify(key, "cost", 2).path("quota").path("remaining").asLong()).isEqualTo(5);
    JsonNode stored = t.get("/v1/keys/" + id(key)).expect(200);
    assertThat(stored.path("quota").path("refill").path("interval").asText()).isEqualTo("monthly");

    TestServer.Response out = authz(key, "X-Keygate-Cost", "6");
    assertThat(out.expectAuthz(429)).isEqualTo("quota_exceeded");
    assertThat(Long.parseLong(out.header("Retry-After"))).isEqualTo(31L * 86400);

    t.clock.advance(Duration.ofDays(31));
    assertThat(authz(key, "X-Keygate-Cost", "6").header("X-Keygate-Quota-Remaining"))
        .isEqualTo("44");
  }

  // ------------------------------------------------------------------ brute force

  @Test
  void bruteForce_10000RandomKeysFromOneIp_blockedAfterThreshold_validKeyElsewhereAlways200()
      throws Exception {
    String valid = create();
    int threshold = t.server.keygate().verifier().bruteForce().policy().threshold();
    AtomicInteger unauthorized = new AtomicInteger();
    AtomicInteger blocked = new AtomicInteger();
    AtomicInteger other = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger validOk = new AtomicInteger();
    AtomicInteger validBad = new AtomicInteger();
    ExecutorService bystander = Executors.newSingleThreadExecutor();
    Future<?> b =
        bystander.submit(
            () -> {
              while (!done.get() || validOk.get() < 10) {
                int s = authz(valid, "X-Forwarded-For", "198.51.100.4").status();
                (s == 200 ? validOk : validBad).incrementAndGet();
              }
            });
    hammer(
        8,
        1250,
        () -> {
          int s = authz(randomKey(), "X-Forwarded-For", "203.0.113.9").status();
          (s == 401 ? unauthorized : s == 429 ? blocked : other).incrementAndGet();
        });
    done.set(true);
    b.get(60, TimeUnit.SECONDS);
    bystander.shutdown();

    assertThat(unauthorized.get()).isEqualTo(threshold);
    assertThat(blocked.get()).isEqualTo(10_000 - threshold);
    assertThat(other.get()).isZero();
    assertThat(validBad.get()).isZero();
    assertThat(validOk.get()).isPositive();

    TestServer.Response r = authz(randomKey(), "X-Forwarded-For", "203.0.113.9");
    assertThat(r.expectAuthz(429)).isEqualTo("rate_limited");
    assertThat(r.header("Retry-After")).isEqualTo("60");

    t.server.keygate().flushUsage();
    var store = t.server.keygate().store();
    assertThat(store.audit(new AuditQuery(null, null, 500, null)))
        .filteredOn(e -> e.entry().action().equals("ip.blocked"))
        .hasSize(1);
    assertThat(store.outbox(null, null, 500))
        .filteredOn(e -> e.type().equals(EventTypes.ANOMALY_DETECTED))
        .hasSize(1);
  }

  @Test
  void bruteForce_verifyCallerNamingAnAdminsAddress_cannotLockTheAdminOut() {
    String valid = create();
    String verifier = t.token(null, List.of(AdminScopes.VERIFY));
    String victim = "198.51.100.9";
    int threshold = t.server.keygate().verifier().bruteForce().policy().threshold();
    // A verify-only token reports bad keys (random keys, made-up and real admin tokens) "from"
    // the address its admin works from.
    for (int i = 0; i < threshold + 10; i++) {
      String bad =
          switch (i % 3) {
            case 0 -> randomKey();
            case 1 -> "kg_admin_" + KeyFormat.randomBase62(RND, 49);
            default -> t.adminToken;
          };
      t.req("POST", "/v1/verify")
          .token(verifier)
          .json(map("key", bad, "ip", victim))
          .send()
          .expect(200);
    }
    // API keys from that address are blocked, as they should be ...
    TestServer.Response blocked = authz(valid, "X-Forwarded-For", victim);
    assertThat(blocked.status()).isEqualTo(429);
    // ... but its admin is not locked out, on any admin route
    for (String path : List.of("/v1/keys", "/v1/whoami", "/v1/admin-tokens", "/v1/audit")) {
      assertThat(t.req("GET", path).header("X-Forwarded-For", victim).send().status())
          .as(path)
          .isEqualTo(200);
    }
    assertThat(
            t.req("POST", "/v1/verify")
                .header("X-Forwarded-For", victim)
                .json(map("key", valid, "ip", "192.0.2.1"))
                .send()
                .expect(200)
                .path("code")
                .asText())
        .isEqualTo("valid");
  }

  @Test
  void bruteForce_adminTokenFailures_areCountedAndBlockedOnTheirOwn_acrossAdminRoutes() {
    String valid = create();
    String attacker = "203.0.113.50";
    int threshold = t.server.keygate().verifier().bruteForce().policy().threshold();
    List<String> paths = List.of("/v1/keys", "/v1/whoami", "/v1/admin-tokens", "/v1/audit");
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < threshold + 5; i++) {
      String guess = i % 2 == 0 ? randomKey() : "kg_admin_" + KeyFormat.randomBase62(RND, 49);
      statuses.add(
          t.req("GET", paths.get(i % paths.size()))
              .token(guess)
              .header("X-Forwarded-For", attacker)
              .send()
              .status());
    }
    assertThat(statuses.subList(0, threshold)).containsOnly(401);
    assertThat(statuses.subList(threshold, threshold + 5)).containsOnly(429);
    // even the right token is refused from there now, with a Retry-After ...
    TestServer.Response r = t.req("GET", "/v1/keys").header("X-Forwarded-For", attacker).send();
    assertThat(r.expect(429).path("error").asText()).isEqualTo("rate_limited");
    assertThat(r.header("Retry-After")).isEqualTo("60");
    // ... while API keys from the same address, and admins elsewhere, are unaffected
    assertThat(authz(valid, "X-Forwarded-For", attacker).status()).isEqualTo(200);
    assertThat(t.req("GET", "/v1/keys").header("X-Forwarded-For", "203.0.113.51").send().status())
        .isEqualTo(200);
    t.server.keygate().flushUsage();
    assertThat(t.server.keygate().store().audit(new AuditQuery(null, null, 500, null)))
        .filteredOn(e -> e.entry().action().equals("ip.blocked"))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.entry().details())
                    .containsEntry("ip", attacker)
                    .containsEntry("credential", "admin_token"));
    t.clock.advance(Duration.ofSeconds(60));
    assertThat(t.req("GET", "/v1/keys").header("X-Forwarded-For", attacker).send().status())
        .isEqualTo(200);
  }

  // ------------------------------------------------------------------ keys in URLs

  @Test
  void keyInUrl_isRefused_ownerGetsOneEvent_andAttemptsCountTowardsBruteForce() {
    String key = create();
    int threshold = t.server.keygate().verifier().bruteForce().policy().threshold();
    for (int i = 0; i < threshold; i++) {
      TestServer.Response r =
          authz(
              null,
              "X-Original-URI",
              "/v1/data?x=1&key=" + URLEncoder.encode(key, StandardCharsets.UTF_8),
              "X-Forwarded-For",
              "203.0.113.50");
      assertThat(r.expectAuthz(403)).isEqualTo("api_key_in_url");
    }
    TestServer.Response blocked =
        authz(null, "X-Original-URI", "/v1/" + key, "X-Forwarded-For", "203.0.113.50");
    assertThat(blocked.status()).isEqualTo(429);
    assertThat(blocked.header("Retry-After")).isNotNull();
    assertThat(authz(key, "X-Forwarded-For", "203.0.113.50").status())
        .as("the address is blocked, also for the key in a header")
        .isEqualTo(429);
    t.server.keygate().flushUsage();
    assertThat(t.server.keygate().store().outbox("acme", id(key), 100))
        .filteredOn(e -> e.type().equals(EventTypes.KEY_EXPOSED_IN_URL))
        .hasSize(1);
    assertThat(authz(key, "X-Forwarded-For", "198.51.100.50").status())
        .as("not revoked")
        .isEqualTo(200);
  }

  private static void hammer(int threads, int perThread, Runnable r) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      fs.add(
          pool.submit(
              () -> {
                go.await();
                for (int j = 0; j < perThread; j++) {
                  r.run();
                }
                return null;
              }));
    }
    go.countDown();
    for (Future<?> f : fs) {
      f.get(300, TimeUnit.SECONDS);
    }
    pool.shutdown();
  }
}
