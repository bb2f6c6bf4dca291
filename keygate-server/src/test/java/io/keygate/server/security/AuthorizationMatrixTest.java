package io.keygate.server.security;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.server.Route;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authorization matrix, generated from the live route table ({@link
 * io.keygate.server.KeygateServer#routes()}), so a route added later is covered without editing
 * this test. Every route that is not on the explicit public allowlist must:
 *
 * <ul>
 *   <li>refuse no token, an ordinary (non-admin) key used as token, a revoked and an expired admin
 *       token with 401;
 *   <li>be opened by exactly one of {@link AdminScopes#ALL} (found by trying single-scope tokens),
 *       and refuse a token holding every other admin scope with 403;
 *   <li>be opened for owner-limited tokens by the same one scope (except the few operator-only
 *       routes, which no owner-limited token opens), and never show such a token anything of
 *       another owner: every resource in the store belongs to owner alice, and no successful answer
 *       to an owner-limited token of bob names alice or one of her keys or tokens;
 *   <li>for a route naming a resource ({@code {key_id}} of a key or of an admin token, {@code
 *       {owner_id}}) of another owner, answer an owner-restricted token of a different owner with
 *       404 (not 403);
 *   <li>accept the token with the right scope (neither 401 nor 403).
 * </ul>
 *
 * {@code HEAD} routes are in the table too (one for every {@code GET} route), so they are held to
 * the same rules; {@link #head_isAnsweredExactlyLikeGet_onEveryGetRoute_forEveryCaller} also
 * compares each {@code HEAD} answer with its {@code GET} twin, public routes included. All failures
 * are collected and reported in one assertion message.
 */
class AuthorizationMatrixTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  /** Routes anyone may call without an admin token (they authenticate otherwise or not at all). */
  private static final List<Pattern> PUBLIC =
      List.of(
          Pattern.compile("(GET|HEAD) /healthz"),
          Pattern.compile("(GET|HEAD) /readyz"),
          Pattern.compile("(GET|HEAD) /openapi\\.json"),
          Pattern.compile("(GET|HEAD) /metrics"), // open unless KEYGATE_METRICS_TOKEN is set
          Pattern.compile("[A-Z]+ /v1/authz(/.*)?"), // forward auth: authenticates the API key
          Pattern.compile("(GET|HEAD) /ui(/.*)?"), // static admin UI assets; data from the API
          Pattern.compile("POST /v1/secret-scanning/.*"), // ECDSA-signed partner callbacks
          // anonymous leak reports: holding a key is the proof; rate-limited per address
          Pattern.compile("POST /v1/leaks/public"));

  /** Routes any valid admin token may call, whatever its scopes. */
  private static final List<String> ANY_ADMIN_SCOPE = List.of("GET /v1/whoami", "HEAD /v1/whoami");

  /** Routes covering every owner, which no owner-limited token may call (403 whatever scopes). */
  private static final List<String> UNRESTRICTED_ONLY =
      List.of("GET /v1/report", "HEAD /v1/report", "GET /v1/audit/verify", "HEAD /v1/audit/verify");

  private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}|<([^>]+)>");

  @TempDir Path dir;
  TestServer t;
  String admin;

  @BeforeEach
  void start() {
    t = servers.start(dir);
  }

  static boolean isPublic(Route r) {
    return PUBLIC.stream().anyMatch(p -> p.matcher(r.toString()).matches());
  }

  @Test
  void routeTable_holdsTheCoreAdminRoutes() {
    List<String> routes = t.server.routes().stream().map(Route::toString).toList();
    assertThat(routes)
        .contains(
            "POST /v1/keys",
            "GET /v1/keys/{key_id}",
            "POST /v1/keys/{key_id}/revoke",
            "POST /v1/verify",
            "GET /v1/audit",
            "GET /healthz",
            "POST /v1/admin-tokens",
            "GET /v1/admin-tokens",
            "GET /v1/admin-tokens/{key_id}",
            "POST /v1/admin-tokens/{key_id}/revoke",
            "HEAD /v1/keys/{key_id}",
            "HEAD /metrics");
  }

  @Test
  void everyAdminRoute_refusesWrongTokens_andOpensForExactlyOneScope() {
    // An admin token that will be expired: minted now, the clock then moves past its max TTL.
    String expired = t.token(null, null);
    t.clock.advance(Duration.ofDays(400));
    admin = t.token(null, null);
    String revoked = t.token(null, null);
    String revokedId = t.server.keygate().verifier().find(revoked).orElseThrow().keyId();
    t.req("POST", "/v1/admin-tokens/" + revokedId + "/revoke")
        .token(admin)
        .json(map("reason", "matrix"))
        .send()
        .expect(200);
    String ordinaryKey =
        createdByAdmin("/v1/keys", map("owner_id", "alice", "scopes", AdminScopes.ALL), "api_key");
    boolean owners = t.server.routes().stream().anyMatch(r -> r.path().startsWith("/v1/owners"));
    if (owners) {
      for (String o : List.of("alice", "bob")) {
        t.req("POST", "/v1/owners")
            .token(admin)
            .json(map("owner_id", o, "name", o))
            .send()
            .expect(201);
      }
    }
    String bobToken = t.token("bob", AdminScopes.ALL);
    Map<String, String> single = new LinkedHashMap<>();
    Map<String, String> bobSingle = new LinkedHashMap<>();
    for (String s : AdminScopes.ALL) {
      single.put(s, t.token(null, List.of(s)));
      bobSingle.put(s, t.token("bob", List.of(s)));
    }
    aliceOnEveryListing(ordinaryKey);

    List<String> failures = new ArrayList<>();
    List<String> checked = new ArrayList<>();
    for (Route route : t.server.routes()) {
      if (isPublic(route)) {
        continue;
      }
      checked.add(route.toString());
      // every call gets fresh resources of owner alice, so one route's effect (a revocation)
      // cannot change another's answer
      Filled f = fill(route.path());
      expect(failures, route, "no token", call(route, f, null), 401);
      expect(failures, route, "ordinary key as token", call(route, f, ordinaryKey), 401);
      expect(failures, route, "revoked admin token", call(route, f, revoked), 401);
      expect(failures, route, "expired admin token", call(route, f, expired), 401);

      boolean anyScope = ANY_ADMIN_SCOPE.contains(route.toString());
      if (f.ownedResource) {
        expect(
            failures, route, "other owner's token (bob on alice's)", call(route, f, bobToken), 404);
      }
      List<String> bobOpening = new ArrayList<>();
      for (var e : bobSingle.entrySet()) {
        TestServer.Response r = call(route, fill(route.path()), e.getValue());
        if (r.status() != 401 && r.status() != 403) {
          bobOpening.add(e.getKey());
        }
        if (r.status() < 300 && aliceIn(r.body())) {
          failures.add(
              route + ": bob's " + e.getKey() + " token was shown alice's data: " + r.body());
        }
      }
      List<String> opening = new ArrayList<>();
      for (var e : single.entrySet()) {
        int status = call(route, fill(route.path()), e.getValue()).status();
        if (status != 401 && status != 403) {
          opening.add(e.getKey());
        }
      }
      if (anyScope) {
        if (opening.size() != AdminScopes.ALL.size() || bobOpening.size() != opening.size()) {
          failures.add(
              route + ": any admin token should open it, only " + opening + " / " + bobOpening);
        }
        continue;
      }
      if (opening.size() != 1) {
        failures.add(route + ": exactly one admin scope should open it, these did: " + opening);
        continue;
      }
      String needed = opening.get(0);
      List<String> bobExpected = UNRESTRICTED_ONLY.contains(route.toString()) ? List.of() : opening;
      if (!bobOpening.equals(bobExpected)) {
        failures.add(
            route
                + ": owner-limited tokens should be opened by "
                + bobExpected
                + ", were by "
                + bobOpening);
      }
      List<String> allBut = new ArrayList<>(AdminScopes.ALL);
      allBut.remove(needed);
      expect(
          failures,
          route,
          "every scope except " + needed,
          call(route, fill(route.path()), t.token(null, allBut)),
          403);
      TestServer.Response ok = call(route, fill(route.path()), single.get(needed));
      if (ok.status() == 401 || ok.status() == 403 || ok.status() >= 500) {
        failures.add(
            route + ": the right token (" + needed + ") got " + ok.status() + " " + ok.body());
      }
      System.out.printf("matrix: %-40s needs %s%n", route, needed);
    }
    System.out.println("matrix: " + checked.size() + " admin routes checked: " + checked);
    assertThat(checked).as("admin routes found in the route table").hasSizeGreaterThan(8);
    assertThat(failures)
        .as("authorization matrix failures:\n" + String.join("\n", failures))
        .isEmpty();
  }

  /**
   * Every listing (a GET route without path parameters) answers an owner-limited token of bob
   * nothing of alice, whatever query it is sent: her owner id in any spelling (repeated, in either
   * order, empty, upper-case, URL-encoded, under another parameter name), her key as the key or
   * target filter, or a cursor the operator's listing of alice's items handed out. Nor may any such
   * query make a listing fail with 5xx.
   */
  @Test
  void ownerLimitedListings_showNothingOfAnotherOwner_whateverTheQuery() {
    admin = t.token(null, null);
    String ordinaryKey =
        createdByAdmin("/v1/keys", map("owner_id", "alice", "name", "matrix"), "api_key");
    String key = aliceKey();
    aliceKey();
    aliceToken();
    aliceToken();
    aliceOnEveryListing(ordinaryKey);
    createdByAdmin("/v1/canaries", map("owner_id", "alice", "label", "matrix2"), "api_key");
    Map<String, String> bobSingle = new LinkedHashMap<>();
    for (String s : AdminScopes.ALL) {
      bobSingle.put(s, t.token("bob", List.of(s)));
    }
    bobSingle.put("all scopes", t.token("bob", AdminScopes.ALL));

    List<String> failures = new ArrayList<>();
    List<String> listings = new ArrayList<>();
    for (Route route : t.server.routes()) {
      if (!route.method().equals("GET") || isPublic(route) || PARAM.matcher(route.path()).find()) {
        continue;
      }
      listings.add(route.path());
      List<String> queries =
          new ArrayList<>(
              List.of(
                  "owner_id=alice",
                  "owner_id=ALICE",
                  "owner_id=%61lice",
                  "owner_id=",
                  "owner_id=bob&owner_id=alice",
                  "owner_id=alice&owner_id=bob",
                  "OWNER_ID=alice",
                  "owner=alice",
                  "key_id=" + key,
                  "target_id=" + key,
                  "owner_id=alice&key_id=" + key));
      TestServer.Response first = t.req("GET", route.path() + "?limit=1").token(admin).send();
      if (first.status() == 200 && first.body().contains("\"next_cursor\":\"")) {
        String cursor = first.json().path("next_cursor").asText();
        queries.add("limit=1&cursor=" + cursor);
        queries.add("limit=1&owner_id=alice&cursor=" + cursor);
      }
      for (var e : bobSingle.entrySet()) {
        for (String q : queries) {
          TestServer.Response r = t.req("GET", route.path() + "?" + q).token(e.getValue()).send();
          if (r.status() >= 500) {
            failures.add("GET " + route.path() + "?" + q + " (bob, " + e.getKey() + "): " + r);
          } else if (r.status() < 300 && aliceIn(r.body())) {
            failures.add(
                "GET "
                    + route.path()
                    + "?"
                    + q
                    + " (bob, "
                    + e.getKey()
                    + ") showed alice's data: "
                    + r.body());
          }
        }
      }
    }
    System.out.println("matrix: listings probed with owner queries: " + listings);
    assertThat(listings).contains("/v1/keys", "/v1/admin-tokens", "/v1/audit");
    assertThat(failures)
        .as("owner-limited listing failures:\n" + String.join("\n", failures))
        .isEmpty();
  }

  /**
   * Alice's data on every list route: a canary that is then used (an alert, events), a leak
   * incident of {@code ordinaryKey}, and the audit events of both.
   */
  private void aliceOnEveryListing(String ordinaryKey) {
    String canary =
        createdByAdmin("/v1/canaries", map("owner_id", "alice", "label", "matrix"), "api_key");
    t.req("POST", "/v1/authz").token(null).header("X-API-Key", canary).send();
    t.req("POST", "/v1/leaks/reports")
        .token(admin)
        .json(map("findings", List.of(map("key", ordinaryKey, "file", "a.py"))))
        .send()
        .expect(200);
    t.server.keygate().flushUsage();
    t.server.monitoring().anomalies().ifPresent(a -> a.tick());
  }

  /** Whether an answer names owner alice or one of her keys or tokens. */
  private boolean aliceIn(String body) {
    return body.contains("alice") || aliceIds.stream().anyMatch(body::contains);
  }

  @Test
  void head_isAnsweredExactlyLikeGet_onEveryGetRoute_forEveryCaller() {
    t.close();
    t =
        servers.start(
            dir.resolve("metrics"),
            c -> c,
            b ->
                b.notifyConfig(
                    NotifyConfig.defaults().withReporting("matrix-metrics-token", "Keygate")));
    admin = t.token(null, null);
    String alice = t.token("alice", List.of(AdminScopes.KEYS_READ, AdminScopes.TOKENS_READ));
    String readOnly = t.token(null, List.of(AdminScopes.KEYS_READ));
    String ordinaryKey = createdByAdmin("/v1/keys", map("owner_id", "bob"), "api_key");
    String revoked = t.token(null, null);
    t.server
        .keygate()
        .adminTokens()
        .revoke(
            t.server.keygate().verifier().find(revoked).orElseThrow().keyId(),
            "matrix",
            Actor.SYSTEM);
    // Real keys and tokens only: made-up ones would count as guesses and block this address.
    List<String> callers = Arrays.asList(null, ordinaryKey, revoked, admin, alice, readOnly);
    List<String> failures = new ArrayList<>();
    int compared = 0;
    for (Route route : t.server.routes()) {
      if (!route.method().equals("GET")) {
        continue;
      }
      assertThat(t.server.routes())
          .as("HEAD twin of " + route)
          .contains(new Route("HEAD", route.path()));
      String path = fill(route.path()).path;
      List<String> these = new ArrayList<>(callers);
      if (path.equals("/metrics")) {
        these.add("matrix-metrics-token");
      }
      for (String caller : these) {
        TestServer.Response get = t.req("GET", path).token(caller).send();
        TestServer.Response head = t.req("HEAD", path).token(caller).send();
        compared++;
        if (get.status() != head.status()
            || !Objects.equals(get.header("WWW-Authenticate"), head.header("WWW-Authenticate"))) {
          failures.add(
              path
                  + " as "
                  + (caller == null ? "nobody" : caller.substring(0, Math.min(9, caller.length())))
                  + ": GET "
                  + get.status()
                  + ", HEAD "
                  + head.status());
        }
        if (!head.body().isEmpty()) {
          failures.add(path + ": HEAD answered with a body");
        }
      }
    }
    // paths without a GET route are not invented by HEAD
    assertThat(t.req("HEAD", "/v1/keys/import").token(null).send().status()).isEqualTo(401);
    assertThat(t.req("HEAD", "/v1/no-such-route").token(admin).send().status()).isEqualTo(404);
    System.out.println("matrix: HEAD compared with GET " + compared + " times");
    assertThat(failures).as("HEAD differs from GET:\n" + String.join("\n", failures)).isEmpty();
  }

  private void expect(
      List<String> failures, Route route, String what, TestServer.Response r, int status) {
    if (r.status() != status) {
      failures.add(
          route
              + " with "
              + what
              + ": expected "
              + status
              + ", got "
              + r.status()
              + " "
              + r.body());
    } else if (status != 404 && !route.method().equals("HEAD") && !r.body().contains("\"error\"")) {
      failures.add(route + " with " + what + ": no JSON error body: " + r.body());
    }
  }

  private TestServer.Response call(Route route, Filled f, String token) {
    // the HEAD route of a GET route is HEAD of the same path
    TestServer.Req req = t.req(route.method(), f.path).token(token);
    if (route.method().equals("POST")
        || route.method().equals("PATCH")
        || route.method().equals("PUT")) {
      req.json(Map.of());
    }
    return req.send();
  }

  /** A route path with its parameters replaced by real resources of owner alice. */
  record Filled(String path, boolean ownedResource) {}

  private Filled fill(String template) {
    Matcher m = PARAM.matcher(template);
    StringBuilder out = new StringBuilder();
    boolean owned = false;
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      Supplier<String> value =
          switch (name) {
            case "key_id" ->
                template.startsWith("/v1/admin-tokens/") ? this::aliceToken : this::aliceKey;
            case "owner_id" -> () -> "alice";
            default -> () -> "x";
          };
      owned |= name.equals("key_id") || name.equals("owner_id");
      m.appendReplacement(out, Matcher.quoteReplacement(value.get()));
    }
    m.appendTail(out);
    return new Filled(out.toString(), owned);
  }

  /** Ids of alice's keys and tokens made for the matrix, which bob's answers must never hold. */
  private final List<String> aliceIds = new ArrayList<>();

  /**
   * Posts {@code body} to {@code path} as the all-scopes admin; {@code field} of the 201 answer.
   */
  private String createdByAdmin(String path, Map<String, Object> body, String field) {
    return t.req("POST", path).token(admin).json(body).send().expect(201).path(field).asText();
  }

  private String aliceKey() {
    String id = createdByAdmin("/v1/keys", map("owner_id", "alice", "name", "matrix"), "key_id");
    aliceIds.add(id);
    return id;
  }

  /** An admin token of alice that a {@code tokens:write} token may rotate and revoke. */
  private String aliceToken() {
    String id =
        createdByAdmin(
            "/v1/admin-tokens",
            map("owner_id", "alice", "scopes", List.of(AdminScopes.TOKENS_WRITE)),
            "key_id");
    aliceIds.add(id);
    return id;
  }
}
