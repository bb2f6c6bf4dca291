package io.keygate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.keygate.server.http.Json;
import io.keygate.server.testing.KeygateProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, crash safety: the packaged jar is killed with SIGKILL ({@link Process#destroyForcibly()}
 * on Linux) while eight client threads create keys, then while they rotate keys, then while they
 * revoke keys; after each kill the server restarts over the same data directory. Afterwards every
 * acknowledged change holds: every key whose 201 a client received verifies (or is revoked exactly
 * when a revocation or a zero-grace rotation touched it), no rotation is half-done (the {@code
 * rotated_to}/{@code rotated_from} links always come in pairs), every acknowledged revocation
 * holds, {@code keygate audit verify} passes, and the outbox holds the event of every acknowledged
 * change.
 *
 * <p>Two more runs kill the server during leak processing (many leak reports in flight) and during
 * webhook delivery (a real receiver in this test); see their methods.
 *
 * <p>Requests in flight at the kill are "attempted": their outcome may be either, but never half.
 * No timing is asserted; timeouts are generous for a loaded machine. Run by maven-failsafe-plugin.
 */
class CrashSafetyIT {
  private static final int THREADS = 8;
  private static final long LOAD_MILLIS = 1_500;

  /** Changes acknowledged in a phase before the kill may come (a cold JVM starts slowly). */
  private static final int MIN_ACKS_BEFORE_KILL = 24;

  /**
   * Changes acknowledged in a phase at which the kill comes at once, however little time has
   * passed: on a fast machine a whole phase can finish inside {@link #LOAD_MILLIS}, and the kill
   * must still come mid-load.
   */
  private static final int KILL_AT_ACKS = 150;

  /** Keys each of the rotation and revocation phases works through (more than it gets done). */
  private static final int KEYS_PER_PHASE = 300;

  /** A fresh client per server process, so no pooled connection outlives a kill. */
  private HttpClient http;

  @TempDir Path dataDir;
  private KeygateProcess server;
  private int port;
  private String base;
  private String token;

  /** key id → raw key, for every key whose 201 (create or rotate) a client received. */
  private final Map<String, String> acked = new ConcurrentHashMap<>();

  /** old key id → new key id, for acknowledged rotations. */
  private final Map<String, String> rotated = new ConcurrentHashMap<>();

  /** old key ids of acknowledged rotations with grace 0 (old key revoked at once). */
  private final Set<String> rotatedNow = ConcurrentHashMap.newKeySet();

  private final Set<String> revoked = ConcurrentHashMap.newKeySet();

  /** key ids a rotation or revocation was sent for (acknowledged or not). */
  private final Set<String> touched = ConcurrentHashMap.newKeySet();

  /** Extra environment of the server process (besides the data dir and port). */
  private final Map<String, String> serverEnv = new HashMap<>();

  /** 5xx answers or other failures seen by the load threads. */
  private final List<String> loadErrors = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void killServer() throws InterruptedException {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void killDashNine_duringCreateRotateRevoke_losesNoAcknowledgedChange() throws Exception {
    startFirstServer();

    // (a) bulk creation, killed mid-load
    loadThenKill(n -> createKey("crash-" + n), acked::size);
    startServer();
    int afterCreate = acked.size();
    assertThat(afterCreate).as("keys acknowledged before the kill").isPositive();
    while (acked.size() < 2 * KEYS_PER_PHASE) {
      createKey("top-up");
    }
    List<String> ids = new ArrayList<>(acked.keySet());
    List<String> toRotate = ids.subList(0, KEYS_PER_PHASE);
    List<String> toRevoke = ids.subList(KEYS_PER_PHASE, 2 * KEYS_PER_PHASE);

    // (b) rotations of existing keys, half with grace 0, killed mid-load
    loadThenKill(
        partition(
            toRotate,
            (id, n) -> {
              touched.add(id);
              int grace = n % 2;
              JsonNode r =
                  call(
                      "POST",
                      "/v1/keys/" + id + "/rotate",
                      "{\"grace_period_hours\": " + grace + "}");
              if (r != null) {
                String newId = r.path("new_key").path("key_id").asText();
                acked.put(newId, r.path("new_key").path("api_key").asText());
                rotated.put(id, newId);
                if (grace == 0) {
                  rotatedNow.add(id);
                }
              }
            }),
        rotated::size);
    startServer();

    // (c) revocations, killed mid-load
    loadThenKill(
        partition(
            toRevoke,
            (id, n) -> {
              touched.add(id);
              if (call("POST", "/v1/keys/" + id + "/revoke", "{\"reason\": \"crash test\"}")
                  != null) {
                revoked.add(id);
              }
            }),
        revoked::size);
    startServer();

    assertKilledMidLoad("rotations", rotated.size(), KEYS_PER_PHASE);
    assertKilledMidLoad("revocations", revoked.size(), KEYS_PER_PHASE);
    System.out.printf(
        "CrashSafetyIT: %d keys acknowledged in the create phase, %d keys in all, %d rotations,"
            + " %d revocations acknowledged%n",
        afterCreate, acked.size(), rotated.size(), revoked.size());

    List<String> problems = new ArrayList<>();
    for (var e : acked.entrySet()) {
      String id = e.getKey();
      String code = verify(e.getValue());
      boolean mustBeRevoked = revoked.contains(id) || rotatedNow.contains(id);
      boolean mayBeRevoked = mustBeRevoked || touched.contains(id);
      if (mustBeRevoked && !code.equals("key_revoked")) {
        problems.add(id + ": acknowledged revocation does not hold (" + code + ")");
      } else if (!mayBeRevoked && !code.equals("valid")) {
        problems.add(id + ": acknowledged key does not verify (" + code + ")");
      } else if (!code.equals("valid") && !code.equals("key_revoked")) {
        problems.add(id + ": unexpected verification " + code);
      }
      checkRotationLinks(id, problems);
    }
    rotated.forEach(
        (oldId, newId) -> {
          if (!newId.equals(get(oldId).path("rotated_to").asText())) {
            problems.add(oldId + ": acknowledged rotation to " + newId + " not recorded");
          }
        });
    checkEvents(problems);
    assertThat(problems).isEmpty();

    assertAuditChainIntact();
  }

  private void assertAuditChainIntact() throws Exception {
    KeygateProcess.assertAuditChainIntact(dataDir, Duration.ofSeconds(120));
  }

  /**
   * Leak processing: eight threads post leak reports (two live keys each: a {@code live_secret} key
   * the policy revokes, a {@code live_public} key it rotates with a 1 h grace) while the server is
   * killed. After the restart, for every report whose 200 a client received: the secret key is
   * revoked, the public key is rotated (both link ends present), each has its incident and its
   * {@code key.leaked} outbox event. For reports in flight at the kill, each key is either
   * untouched (valid, no incident, no event) or fully handled: never a change without its incident
   * and event.
   */
  @Test
  void killDashNine_duringLeakProcessing_everyAcknowledgedReportIsFullyApplied() throws Exception {
    serverEnv.put("KEYGATE_LEAK_POLICY", "live_public=rotate:1h,live_secret=revoke");
    startFirstServer();
    int pairs = 300;
    List<String[]> secrets = Collections.synchronizedList(new ArrayList<>());
    List<String[]> publics = Collections.synchronizedList(new ArrayList<>());
    runOnThreads(
        pairs,
        n -> {
          secrets.add(createTyped("live_secret", "leak-s-" + n));
          publics.add(createTyped("live_public", "leak-p-" + n));
        });

    /* report n = [secret n, public n] */
    Map<Integer, JsonNode> answers = new ConcurrentHashMap<>();
    Set<Integer> sent = ConcurrentHashMap.newKeySet();
    loadThenKill(
        n -> {
          if (n >= pairs) {
            Thread.sleep(50); // all reports sent; wait for the kill
            return;
          }
          sent.add(n);
          String body =
              "{\"findings\":[{\"key\":\""
                  + secrets.get(n)[1]
                  + "\",\"file\":\"app/s"
                  + n
                  + ".py\",\"line\":1},{\"key\":\""
                  + publics.get(n)[1]
                  + "\",\"file\":\"app/p"
                  + n
                  + ".py\",\"line\":2}]}";
          JsonNode r = call("POST", "/v1/leaks/reports?format=keygate", body);
          if (r == null) {
            throw new AssertionError("leak report " + n + " was not accepted");
          }
          answers.put(n, r);
        },
        answers::size);
    startServer();
    assertKilledMidLoad("reports", answers.size(), pairs);

    List<String> problems = new ArrayList<>();
    for (int n = 0; n < pairs; n++) {
      JsonNode answer = answers.get(n);
      if (answer != null
          && (answer.path("revoked").asInt() != 1 || answer.path("rotated").asInt() != 1)) {
        problems.add("report " + n + ": answered " + answer);
      }
      boolean acked = answer != null;
      boolean mayBeHandled = sent.contains(n);
      checkLeak(secrets.get(n), "revoked", acked, mayBeHandled, problems);
      checkLeak(publics.get(n), "rotated", acked, mayBeHandled, problems);
    }
    assertThat(problems).isEmpty();
    System.out.printf(
        "CrashSafetyIT leaks: %d of %d reports acknowledged before the kill, %d sent%n",
        answers.size(), pairs, sent.size());
    assertAuditChainIntact();
  }

  /**
   * One leaked key after the restart: handled ({@code action}: its incident, its {@code key.leaked}
   * event and the key change, all three) or, only if its report was not acknowledged, untouched
   * (none of them).
   */
  private void checkLeak(
      String[] key, String action, boolean acked, boolean mayBeHandled, List<String> problems)
      throws Exception {
    String id = key[0];
    JsonNode incidents = getJson("/v1/leaks?key_id=" + id).path("data");
    boolean incident = false;
    for (JsonNode i : incidents) {
      incident |= action.equals(i.path("action").asText());
    }
    boolean event = false;
    for (JsonNode ev : getJson("/v1/events?limit=500&key_id=" + id).path("data")) {
      event |= "key.leaked".equals(ev.path("type").asText());
    }
    JsonNode rec = get(id);
    boolean changed =
        action.equals("revoked")
            ? verify(key[1]).equals("key_revoked")
            : !rec.path("rotated_to").asText("").isEmpty();
    if (action.equals("rotated")) {
      checkRotationLinks(id, problems);
      if (!verify(key[1]).equals("valid")) {
        problems.add(id + ": rotated with a 1 h grace but no longer verifies");
      }
    }
    String state =
        " (incident " + incident + ", event " + event + ", " + action + " " + changed + ")";
    if (acked && !(incident && event && changed)) {
      problems.add(id + ": acknowledged leak not fully applied" + state);
    } else if (!acked && !(incident == event && event == changed)) {
      problems.add(id + ": half-done leak handling" + state);
    } else if (!mayBeHandled && incident) {
      problems.add(id + ": handled although its report was never sent");
    }
  }

  /**
   * Webhook delivery: an owner's webhook points at a real HTTP receiver in this test (which takes
   * 40 ms per request, so a backlog builds); eight threads create keys for that owner and the
   * server is killed while the worker is still delivering, with one attempt received but not yet
   * answered (the receiver holds it until the kill). After the restart, once the outbox is drained:
   * every outbox event of the owner reached the receiver at least once, and nothing else did; every
   * copy of an event carries the same id, body and a valid signature, so a receiver deduplicating
   * by {@code Keygate-Event-Id} sees each event exactly once. The held attempt comes again once its
   * lease runs out (delivery is at least once); other duplicates are counted.
   */
  @Test
  void killDashNine_duringWebhookDelivery_everyEventArrives_andDedupByIdLeavesEachOnce()
      throws Exception {
    serverEnv.put("KEYGATE_DELIVERY_INTERVAL_MS", "100");
    serverEnv.put("KEYGATE_WEBHOOK_TIMEOUT_SECONDS", "1"); // a lease of 8 s after the kill
    serverEnv.put("KEYGATE_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32"); // the receiver
    String secret = "whsec_crash_test_" + Long.toHexString(System.nanoTime());
    try (WebhookReceiver receiver = new WebhookReceiver(40)) {
      startFirstServer();
      assertThat(
              call(
                  "POST",
                  "/v1/owners",
                  "{\"owner_id\":\"hooked\",\"name\":\"Hooked\",\"webhooks\":[{\"url\":\""
                      + receiver.url()
                      + "\",\"secret\":\""
                      + secret
                      + "\"}]}"))
          .as("owner created")
          .isNotNull();

      Set<String> createdKeys = ConcurrentHashMap.newKeySet();
      loadThenKill(
          n -> {
            if (createdKeys.size() >= MAX_HOOKED_KEYS) {
              Thread.sleep(50); // enough events queued; wait for the kill
              return;
            }
            JsonNode r =
                call("POST", "/v1/keys", "{\"owner_id\":\"hooked\",\"name\":\"hook-" + n + "\"}");
            if (r != null) {
              createdKeys.add(r.path("key_id").asText());
            }
          },
          () -> Math.min(createdKeys.size(), receiver.distinctIds()),
          () -> {
            // the kill cuts an attempt the receiver has already taken in: it must come again
            receiver.holdNext();
            assertThat(receiver.awaitHeld(30)).as("a delivery in flight at the kill").isTrue();
          });
      receiver.release();
      int receivedAtKill = receiver.distinctIds();
      startServer();
      assertThat(loadErrors).as("errors under load").isEmpty();

      // drain: every delivery of the owner's events ends delivered (the lease of an attempt cut
      // by the kill runs out first)
      AtomicReference<List<JsonNode>> drained = new AtomicReference<>();
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(250)) // the worker delivers in the background
          .untilAsserted(
              () -> {
                List<JsonNode> events = allEvents("/v1/events?owner_id=hooked&limit=500");
                drained.set(events);
                long pending =
                    events.stream()
                        .filter(
                            ev -> {
                              JsonNode ds = ev.path("deliveries");
                              if (ds.isEmpty()) {
                                return true;
                              }
                              for (JsonNode d : ds) {
                                if (!"delivered".equals(d.path("status").asText())) {
                                  return true;
                                }
                              }
                              return false;
                            })
                        .count();
                assertThat(pending)
                    .as("%d of %d events still undelivered", pending, events.size())
                    .isZero();
              });
      List<JsonNode> events = drained.get();

      Set<String> outbox = new HashSet<>();
      Set<String> createdEventKeys = new HashSet<>();
      for (JsonNode ev : events) {
        outbox.add(ev.path("id").asText());
        if ("key.created".equals(ev.path("type").asText())) {
          createdEventKeys.add(ev.path("key_id").asText());
        }
      }
      List<String> problems = new ArrayList<>();
      if (!createdEventKeys.containsAll(createdKeys)) {
        problems.add("acknowledged creations without a key.created event");
      }
      Map<String, List<WebhookReceiver.Hit>> byId = receiver.byId();
      for (String id : outbox) {
        if (!byId.containsKey(id)) {
          problems.add(id + ": outbox event never reached the receiver");
        }
      }
      for (var e : byId.entrySet()) {
        if (!outbox.contains(e.getKey())) {
          problems.add(e.getKey() + ": received but not in the outbox");
        }
        String first = new String(e.getValue().get(0).body(), StandardCharsets.UTF_8);
        for (WebhookReceiver.Hit h : e.getValue()) {
          String body = new String(h.body(), StandardCharsets.UTF_8);
          if (!body.equals(first)) {
            problems.add(e.getKey() + ": copies of one event differ");
          }
          if (!e.getKey().equals(Json.MAPPER.readTree(body).path("id").asText())) {
            problems.add(e.getKey() + ": Keygate-Event-Id and body id differ");
          }
          if (!signatureValid(secret, h.signature(), h.body())) {
            problems.add(e.getKey() + ": bad signature");
          }
        }
      }
      assertThat(problems).isEmpty();
      assertThat(byId.get(receiver.heldId()))
          .as("the attempt cut by the kill is delivered again, with the same id")
          .hasSizeGreaterThanOrEqualTo(2);
      assertThat(receivedAtKill)
          .as("events the receiver had at the kill (the kill came mid-delivery)")
          .isPositive()
          .isLessThan(outbox.size());
      System.out.printf(
          "CrashSafetyIT webhooks: %d keys acknowledged, %d outbox events, %d distinct at the kill,"
              + " %d requests received, %d duplicates%n",
          createdKeys.size(),
          outbox.size(),
          receivedAtKill,
          receiver.requests(),
          receiver.requests() - byId.size());
      assertAuditChainIntact();
    }
  }

  /** Keys created for the webhook owner (each one event to deliver). */
  private static final int MAX_HOOKED_KEYS = 150;

  /** Every page of an events listing. */
  private List<JsonNode> allEvents(String path) {
    List<JsonNode> out = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode page =
          getJson(
              path
                  + (cursor == null
                      ? ""
                      : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
      page.path("data").forEach(out::add);
      cursor = page.path("next_cursor").asText(null);
    } while (cursor != null && !cursor.isEmpty());
    return out;
  }

  /** {@code t=<s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>}, compared in constant time. */
  private static boolean signatureValid(String secret, String header, byte[] body)
      throws Exception {
    if (header == null) {
      return false;
    }
    Map<String, String> parts = new HashMap<>();
    for (String p : header.split(",")) {
      int eq = p.indexOf('=');
      if (eq > 0) {
        parts.put(p.substring(0, eq), p.substring(eq + 1));
      }
    }
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    mac.update((parts.getOrDefault("t", "") + ".").getBytes(StandardCharsets.UTF_8));
    String expected = HexFormat.of().formatHex(mac.doFinal(body));
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII),
        parts.getOrDefault("v1", "").getBytes(StandardCharsets.US_ASCII));
  }

  /** A real webhook receiver on a loopback port: records every request, answers 200. */
  private static final class WebhookReceiver implements AutoCloseable {
    record Hit(String eventId, String signature, byte[] body) {}

    private final HttpServer server;
    private final List<Hit> hits = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch held = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile boolean holdNext;
    private volatile String heldId;

    WebhookReceiver(long millisPerRequest) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/hook",
          ex -> {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
              body = in.readAllBytes();
            }
            try {
              Thread.sleep(millisPerRequest); // a receiver doing some work
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            String id = ex.getRequestHeaders().getFirst("Keygate-Event-Id");
            hits.add(new Hit(id, ex.getRequestHeaders().getFirst("Keygate-Signature"), body));
            if (holdNext) {
              holdNext = false;
              heldId = id;
              held.countDown();
              try {
                release.await(60, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            try {
              ex.sendResponseHeaders(200, -1);
            } catch (IOException senderGone) {
              // the server was killed while this request was held
            }
            ex.close();
          });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /** The next request is recorded but not answered until {@link #release()}. */
    void holdNext() {
      holdNext = true;
    }

    boolean awaitHeld(int seconds) throws InterruptedException {
      return held.await(seconds, TimeUnit.SECONDS);
    }

    /** The event id of the held request. */
    String heldId() {
      return heldId;
    }

    void release() {
      release.countDown();
    }

    int requests() {
      return hits.size();
    }

    int distinctIds() {
      synchronized (hits) {
        return (int) hits.stream().map(Hit::eventId).distinct().count();
      }
    }

    Map<String, List<Hit>> byId() {
      Map<String, List<Hit>> m = new HashMap<>();
      synchronized (hits) {
        for (Hit h : hits) {
          m.computeIfAbsent(h.eventId(), k -> new ArrayList<>()).add(h);
        }
      }
      return m;
    }

    @Override
    public void close() {
      release();
      server.stop(0);
    }
  }

  /** Runs {@code job(0..count-1)} on {@link #THREADS} threads and waits for all. */
  private void runOnThreads(int count, Job job) throws Exception {
    AtomicInteger next = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < THREADS; t++) {
      Thread th =
          new Thread(
              () -> {
                for (int n; (n = next.getAndIncrement()) < count; ) {
                  try {
                    job.run(n);
                  } catch (Exception | AssertionError e) {
                    failures.add(e);
                    return;
                  }
                }
              });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join(300_000);
    }
    assertThat(failures).isEmpty();
  }

  /** Creates a key of {@code type}; returns {key id, raw key}. */
  private String[] createTyped(String type, String name) throws Exception {
    JsonNode r =
        call(
            "POST",
            "/v1/keys",
            "{\"owner_id\": \"leaky\", \"type\": \"" + type + "\", \"name\": \"" + name + "\"}");
    assertThat(r).as("created %s", name).isNotNull();
    return new String[] {r.path("key_id").asText(), r.path("api_key").asText()};
  }

  /** Both ends of every rotation link exist and point at each other. */
  private void checkRotationLinks(String id, List<String> problems) {
    JsonNode k = get(id);
    String to = k.path("rotated_to").asText(null);
    String from = k.path("rotated_from").asText(null);
    if (to != null && !id.equals(get(to).path("rotated_from").asText(null))) {
      problems.add(id + ": half-done rotation, " + to + " does not point back");
    }
    if (from != null && !id.equals(get(from).path("rotated_to").asText(null))) {
      problems.add(id + ": half-done rotation, " + from + " does not point forward");
    }
  }

  /** The outbox holds an event for every acknowledged creation, rotation and revocation. */
  private void checkEvents(List<String> problems) {
    for (String id : acked.keySet()) {
      Set<String> types = new HashSet<>();
      getJson("/v1/events?limit=500&key_id=" + id)
          .path("data")
          .forEach(ev -> types.add(ev.path("type").asText()));
      boolean createdByRotation = rotated.containsValue(id);
      if (!createdByRotation && !types.contains("key.created")) {
        problems.add(id + ": no key.created event");
      }
      if (rotated.containsKey(id) && !types.contains("key.rotated")) {
        problems.add(id + ": no key.rotated event");
      }
      if (revoked.contains(id) && !types.contains("key.revoked")) {
        problems.add(id + ": no key.revoked event");
      }
    }
  }

  private interface Job {
    void run(int n) throws Exception;
  }

  private interface BeforeKill {
    void run() throws Exception;
  }

  private interface KeyJob {
    void run(String keyId, int n) throws Exception;
  }

  /** Each thread works through its own slice of {@code keys}. */
  private static Job partition(List<String> keys, KeyJob job) {
    return n -> {
      int thread = n % THREADS;
      int round = n / THREADS;
      int index = round * THREADS + thread;
      if (index < keys.size()) {
        job.run(keys.get(index), round);
      } else {
        Thread.sleep(50); // this slice is done; wait for the kill
      }
    };
  }

  /**
   * Runs {@code job} on {@link #THREADS} threads as fast as they go; once {@link #LOAD_MILLIS} have
   * passed and {@code progress} has reached {@link #MIN_ACKS_BEFORE_KILL}, or as soon as it has
   * reached {@link #KILL_AT_ACKS}, kills the server with SIGKILL, then waits for the threads (their
   * in-flight calls fail).
   */
  private void loadThenKill(Job job, IntSupplier progress) throws Exception {
    loadThenKill(job, progress, () -> {});
  }

  /**
   * As {@link #loadThenKill(Job, IntSupplier)}, running {@code beforeKill} just before the kill.
   */
  private void loadThenKill(Job job, IntSupplier progress, BeforeKill beforeKill) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      Thread th =
          new Thread(
              () -> {
                for (int round = 0; !stop.get(); round++) {
                  try {
                    job.run(round * THREADS + thread);
                  } catch (IOException connectionLost) {
                    return; // the server died under this request
                  } catch (Exception | AssertionError e) {
                    loadErrors.add(String.valueOf(e));
                    return;
                  }
                }
              },
              "load-" + t);
      threads.add(th);
      th.start();
    }
    long started = System.nanoTime();
    long cap = started + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < cap
        && progress.getAsInt() < KILL_AT_ACKS
        && (System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(LOAD_MILLIS)
            || progress.getAsInt() < MIN_ACKS_BEFORE_KILL)) {
      Thread.sleep(5); // let the load run (and a cold JVM warm up) before the kill
    }
    beforeKill.run();
    server.process.destroyForcibly();
    assertThat(server.process.waitFor(60, TimeUnit.SECONDS)).as("killed server exited").isTrue();
    stop.set(true);
    for (Thread th : threads) {
      th.join(120_000);
      assertThat(th.isAlive()).as("load thread ended").isFalse();
    }
  }

  private void createKey(String name) throws Exception {
    JsonNode r =
        call(
            "POST",
            "/v1/keys",
            "{\"owner_id\": \"owner-" + (name.hashCode() & 3) + "\", \"name\": \"" + name + "\"}");
    if (r != null) {
      acked.put(r.path("key_id").asText(), r.path("api_key").asText());
    }
  }

  /** The 201/200 body, or null for any other status; throws when the connection fails. */
  private JsonNode call(String method, String path, String json) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(60))
            .method(method, HttpRequest.BodyPublishers.ofString(json))
            .build();
    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 500) {
      throw new AssertionError("HTTP " + r.statusCode() + " for " + path + ": " + r.body());
    }
    return r.statusCode() / 100 == 2 ? Json.MAPPER.readTree(r.body()) : null;
  }

  private String verify(String key) throws Exception {
    JsonNode r = call("POST", "/v1/verify", "{\"key\": \"" + key + "\"}");
    assertThat(r).as("verify answered 200").isNotNull();
    return r.path("code").asText();
  }

  private JsonNode get(String keyId) {
    return getJson("/v1/keys/" + keyId);
  }

  private JsonNode getJson(String path) {
    try {
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(base + path))
              .header("Authorization", "Bearer " + token)
              .timeout(Duration.ofSeconds(60))
              .build();
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
      return Json.MAPPER.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError(path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Starts the first server of a run on a new port and makes the admin token. */
  private void startFirstServer() throws Exception {
    port = KeygateProcess.freePort();
    base = "http://127.0.0.1:" + port;
    startServer();
    token = KeygateProcess.adminToken(dataDir, Duration.ofSeconds(120)).strip();
  }

  /** (Re)starts the server on {@link #port} over {@link #dataDir}, with a fresh HTTP client. */
  private void startServer() throws Exception {
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    Map<String, String> env = new HashMap<>();
    // the final check verifies many revoked keys from one address
    env.put("KEYGATE_BRUTE_FORCE_THRESHOLD", "0");
    env.putAll(serverEnv);
    server = KeygateProcess.serve(dataDir, port, env, Duration.ofSeconds(120));
  }

  /**
   * The kill came mid-load: the load threads saw no error, and {@code acknowledged} (of {@code
   * what}) is more than none and less than {@code total}.
   */
  private void assertKilledMidLoad(String what, int acknowledged, int total) {
    assertThat(loadErrors).as("errors under load").isEmpty();
    assertThat(acknowledged)
        .as(what + " acknowledged before the kill (the kill came mid-load)")
        .isPositive()
        .isLessThan(total);
  }
}
