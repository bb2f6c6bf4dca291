package io.keygate.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.http.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;
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
 * <p>Requests in flight at the kill are "attempted": their outcome may be either, but never half.
 * No timing is asserted; timeouts are generous for a loaded machine. Run by maven-failsafe-plugin.
 */
class CrashSafetyIT {
  private static final int THREADS = 8;
  private static final long LOAD_MILLIS = 1_500;

  /** Changes acknowledged in a phase before the kill may come (a cold JVM starts slowly). */
  private static final int MIN_ACKS_BEFORE_KILL = 24;

  /** Keys each of the rotation and revocation phases works through (more than it gets done). */
  private static final int KEYS_PER_PHASE = 300;

  /** A fresh client per server process, so no pooled connection outlives a kill. */
  private HttpClient http;

  @TempDir Path dataDir;
  private Process server;
  private StringBuffer serverOutput = new StringBuffer();
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

  /** 5xx answers or other failures seen by the load threads. */
  private final List<String> loadErrors = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void killServer() throws InterruptedException {
    if (server != null && server.isAlive()) {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void killDashNine_duringCreateRotateRevoke_losesNoAcknowledgedChange() throws Exception {
    port = freePort();
    base = "http://127.0.0.1:" + port;
    startServer();
    token = createAdminToken();

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

    assertThat(loadErrors).as("errors under load").isEmpty();
    assertThat(rotated.size())
        .as("rotations acknowledged before the kill (the kill came mid-load)")
        .isPositive()
        .isLessThan(KEYS_PER_PHASE);
    assertThat(revoked.size())
        .as("revocations acknowledged before the kill (the kill came mid-load)")
        .isPositive()
        .isLessThan(KEYS_PER_PHASE);
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

    Process audit =
        new ProcessBuilder(
                java(), "-jar", jar(), "audit", "verify", "--data-dir", dataDir.toString())
            .redirectErrorStream(true)
            .start();
    String auditOut = new String(audit.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(audit.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(audit.exitValue()).as(auditOut).isZero();
    assertThat(auditOut).contains("audit chain intact");
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
   * passed and {@code progress} has reached {@link #MIN_ACKS_BEFORE_KILL}, kills the server with
   * SIGKILL, then waits for the threads (their in-flight calls fail).
   */
  private void loadThenKill(Job job, IntSupplier progress) throws Exception {
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
        && (System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(LOAD_MILLIS)
            || progress.getAsInt() < MIN_ACKS_BEFORE_KILL)) {
      Thread.sleep(20); // let the load run (and a cold JVM warm up) before the kill
    }
    server.destroyForcibly();
    assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("killed server exited").isTrue();
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

  private void startServer() throws Exception {
    serverOutput = new StringBuffer();
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    ProcessBuilder pb =
        new ProcessBuilder(
                java(),
                "-jar",
                jar(),
                "serve",
                "--port",
                Integer.toString(port),
                "--data-dir",
                dataDir.toString())
            .redirectErrorStream(true);
    // the final check verifies many revoked keys from one address
    pb.environment().put("KEYGATE_BRUTE_FORCE_THRESHOLD", "0");
    server = pb.start();
    pump(server.getInputStream(), serverOutput);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    HttpRequest health = HttpRequest.newBuilder(URI.create(base + "/healthz")).build();
    while (System.nanoTime() < deadline) {
      assertThat(server.isAlive()).as("server exited early:\n%s", serverOutput).isTrue();
      try {
        if (http.send(health, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100); // polling for startup of a separate process
    }
    throw new AssertionError("server not healthy within 120 s:\n" + serverOutput);
  }

  private String createAdminToken() throws Exception {
    Process create =
        new ProcessBuilder(
                java(), "-jar", jar(), "admin", "create-token", "--data-dir", dataDir.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String stdout = new String(create.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(create.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(create.exitValue()).isZero();
    return stdout.strip();
  }

  private static void pump(InputStream in, StringBuffer sink) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[8192];
              try {
                for (int n; (n = in.read(buf)) > 0; ) {
                  sink.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
              } catch (IOException ignored) {
                // process ended
              }
            },
            "server-output");
    t.setDaemon(true);
    t.start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String jar() {
    Path jar = Path.of(System.getProperty("keygate.jar", "target/keygate.jar"));
    assertThat(Files.isRegularFile(jar)).as("built jar %s", jar).isTrue();
    return jar.toString();
  }
}
