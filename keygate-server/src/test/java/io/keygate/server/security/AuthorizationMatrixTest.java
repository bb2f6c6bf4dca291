package io.keygate.server.security;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.server.Route;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
 *   <li>for a route naming a resource ({@code {key_id}}, {@code {owner_id}}) of another owner,
 *       answer an owner-restricted token of a different owner with 404 (not 403);
 *   <li>accept the token with the right scope (neither 401 nor 403).
 * </ul>
 *
 * All failures are collected and reported in one assertion message.
 */
class AuthorizationMatrixTest {
  /** Routes anyone may call without an admin token (they authenticate otherwise or not at all). */
  private static final List<Pattern> PUBLIC =
      List.of(
          Pattern.compile("GET /healthz"),
          Pattern.compile("GET /readyz"),
          Pattern.compile("GET /openapi\\.json"),
          Pattern.compile("GET /metrics"), // open unless KEYGATE_METRICS_TOKEN is set
          Pattern.compile("[A-Z]+ /v1/authz(/.*)?"), // forward auth: authenticates the API key
          Pattern.compile("GET /ui(/.*)?"), // static admin UI assets; data comes from the API
          Pattern.compile("POST /v1/secret-scanning/.*")); // ECDSA-signed partner callbacks

  /** Routes any valid admin token may call, whatever its scopes. */
  private static final List<String> ANY_ADMIN_SCOPE = List.of("GET /v1/whoami");

  private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}|<([^>]+)>");

  @TempDir Path dir;
  TestServer t;
  String admin;

  @BeforeEach
  void start() {
    t = TestServer.start(dir);
  }

  @AfterEach
  void stop() {
    t.close();
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
            "GET /healthz");
  }

  @Test
  void everyAdminRoute_refusesWrongTokens_andOpensForExactlyOneScope() {
    // An admin token that will be expired: minted now, the clock then moves past its max TTL.
    String expired = t.token(null, null);
    t.clock.advance(Duration.ofDays(400));
    admin = t.token(null, null);
    String revoked = t.token(null, null);
    String revokedId = t.server.keygate().verifier().find(revoked).orElseThrow().keyId();
    t.req("POST", "/v1/keys/" + revokedId + "/revoke")
        .token(admin)
        .json(map("reason", "matrix"))
        .send()
        .expect(200);
    String ordinaryKey =
        t.req("POST", "/v1/keys")
            .token(admin)
            .json(map("owner_id", "alice", "scopes", AdminScopes.ALL))
            .send()
            .expect(201)
            .path("api_key")
            .asText();
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
    String bobToken = t.token("bob", null);
    Map<String, String> single = new java.util.LinkedHashMap<>();
    for (String s : AdminScopes.ALL) {
      single.put(s, t.token(null, List.of(s)));
    }

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
      List<String> opening = new ArrayList<>();
      for (var e : single.entrySet()) {
        int status = call(route, fill(route.path()), e.getValue()).status();
        if (status != 401 && status != 403) {
          opening.add(e.getKey());
        }
      }
      if (anyScope) {
        if (opening.size() != AdminScopes.ALL.size()) {
          failures.add(route + ": any admin token should open it, only " + opening + " did");
        }
        continue;
      }
      if (opening.size() != 1) {
        failures.add(route + ": exactly one admin scope should open it, these did: " + opening);
        continue;
      }
      String needed = opening.get(0);
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
    } else if (status != 404 && !r.body().contains("\"error\"")) {
      failures.add(route + " with " + what + ": no JSON error body: " + r.body());
    }
  }

  private TestServer.Response call(Route route, Filled f, String token) {
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
            case "key_id" -> this::aliceKey;
            case "owner_id" -> () -> "alice";
            default -> () -> "x";
          };
      owned |= name.equals("key_id") || name.equals("owner_id");
      m.appendReplacement(out, Matcher.quoteReplacement(value.get()));
    }
    m.appendTail(out);
    return new Filled(out.toString(), owned);
  }

  private String aliceKey() {
    return t.req("POST", "/v1/keys")
        .token(admin)
        .json(map("owner_id", "alice", "name", "matrix"))
        .send()
        .expect(201)
        .path("key_id")
        .asText();
  }
}
