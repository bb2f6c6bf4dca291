package io.keygate.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.keygate.core.testing.ManualClock;
import io.keygate.scan.Finding;
import io.keygate.scan.Scanner;
import io.keygate.server.http.Json;
import io.keygate.server.notify.Node;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.LogCapture;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, secrets hygiene: a full scenario touching every feature — create, verify, forward auth,
 * rotate, revoke, leak report, owners with a webhook to a real local receiver, a canary and its
 * alert, usage, advice, audit, events, {@code /metrics}, the JSON security report and the UI page —
 * then Keygate's own {@link Scanner} looks for keys in every HTTP response body except the one-time
 * displays of creation and rotation, the server's log output, {@code /metrics}, every webhook body
 * received and every file of the data directory, and finds none. As a control the same scanner
 * finds every displayed key in the one-time display bodies.
 */
class NoRawKeyAnywhereTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static final Scanner SCANNER = Scanner.builder().respectGitignore(false).build();

  @TempDir Path dir;

  /** Name → body of every captured answer that must hold no key. */
  private final Map<String, byte[]> scanned = new LinkedHashMap<>();

  /** Bodies of the one-time displays (creation, rotation, canary creation). */
  private final List<byte[]> displays = new ArrayList<>();

  private final List<String> displayedKeys = new ArrayList<>();
  private final List<byte[]> webhookBodies = Collections.synchronizedList(new ArrayList<>());
  private Node node;

  @Test
  void fullScenario_scannerFindsNoKeyOutsideTheOneTimeDisplays() throws Exception {
    LogCapture log = LogCapture.start();

    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        ex -> {
          try (InputStream in = ex.getRequestBody()) {
            webhookBodies.add(in.readAllBytes());
          }
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    receiver.start();
    try {
      node = new Node(servers, dir.resolve("data"), new ManualClock(), Node.LOOPBACK);
      try {
        scenario("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
      } finally {
        node.close();
      }
    } finally {
      receiver.stop(0);
      log.close();
    }

    String logs = log.text();
    assertThat(logs).as("captured log output").contains("Keygate listening on");
    scanned.put("server log", log.bytes());
    assertThat(webhookBodies).as("webhook deliveries").isNotEmpty();
    for (int i = 0; i < webhookBodies.size(); i++) {
      scanned.put("webhook body #" + i, webhookBodies.get(i));
    }
    List<String> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(dir.resolve("data"))) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        files.add(f.getFileName().toString());
        scanned.put("data file " + f.getFileName(), Files.readAllBytes(f));
      }
    }
    assertThat(files).contains("keygate.db");

    List<String> leaks = new ArrayList<>();
    scanned.forEach(
        (name, body) -> {
          for (Finding f : SCANNER.scan(name, body)) {
            leaks.add(name + " line " + f.line() + ": " + f.redacted());
          }
        });
    System.out.printf(
        "NoRawKeyAnywhereTest: scanned %d sources (%d KiB), %d webhook bodies, %d data files;"
            + " %d findings%n",
        scanned.size(),
        scanned.values().stream().mapToLong(b -> b.length).sum() >> 10,
        webhookBodies.size(),
        files.size(),
        leaks.size());
    assertThat(leaks).isEmpty();

    // control: the scanner does find the keys where they are meant to be shown
    List<String> found = new ArrayList<>();
    for (byte[] d : displays) {
      SCANNER.scan("display", d).forEach(f -> found.add(f.secret().reveal()));
    }
    assertThat(found).containsExactlyInAnyOrderElementsOf(displayedKeys);
  }

  private void scenario(String hookUrl) throws IOException {
    send(
            "POST",
            "/v1/owners",
            Map.of(
                "owner_id",
                "acme",
                "name",
                "Acme",
                "webhooks",
                List.of(Map.of("url", hookUrl, "secret", "whsec_test_0123456789abcdef"))))
        .expect(201);
    String key = display("POST", "/v1/keys", keyBody("backend")).path("api_key").asText();
    JsonNode created = display("POST", "/v1/keys", keyBody("worker"));
    String id = created.path("key_id").asText();
    String worker = created.path("api_key").asText();
    String leaked = display("POST", "/v1/keys", keyBody("ci")).path("api_key").asText();

    assertThat(verify(key).path("code").asText()).isEqualTo("valid");
    verify(key.substring(0, key.length() - 1) + (key.endsWith("x") ? "y" : "x"));
    verify("sk_live_" + "A".repeat(49));
    assertThat(authz(key, "/api/data").status).isEqualTo(200);
    assertThat(authz(null, "/api/data?api_key=" + worker).status).isEqualTo(403);

    JsonNode rotated =
        display("POST", "/v1/keys/" + id + "/rotate", Map.of("grace_period_hours", 1));
    String newKey = rotated.path("new_key").path("api_key").asText();
    String newId = rotated.path("new_key").path("key_id").asText();
    assertThat(verify(newKey).path("code").asText()).isEqualTo("valid");
    send("POST", "/v1/keys/" + id + "/revoke", Map.of("reason", "scenario")).expect(200);
    assertThat(verify(worker).path("code").asText()).isEqualTo("key_revoked");
    send("PATCH", "/v1/keys/" + newId, Map.of("name", "worker v2")).expect(200);

    send(
            "POST",
            "/v1/leaks/reports?format=keygate",
            Map.of("findings", List.of(Map.of("key", leaked, "file", "x", "line", 1))))
        .expect(200);
    assertThat(verify(leaked).path("code").asText()).isEqualTo("key_revoked");

    JsonNode canary =
        display("POST", "/v1/canaries", Map.of("owner_id", "acme", "label", "s3 backup"));
    verify(canary.path("api_key").asText());

    node.server.keygate().flushUsage();
    node.deliver();

    for (String path :
        List.of(
            "/v1/keys",
            "/v1/keys?owner_id=acme&status=revoked",
            "/v1/keys/" + id,
            "/v1/keys/" + newId,
            "/v1/keys/" + newId + "/usage?window=24h",
            "/v1/keys/" + newId + "/advice",
            "/v1/leaks",
            "/v1/canaries",
            "/v1/owners/acme",
            "/v1/events?limit=500",
            "/v1/alerts",
            "/v1/audit?limit=500",
            "/v1/whoami",
            "/v1/report?format=json",
            "/v1/report?format=md",
            "/metrics",
            "/ui",
            "/openapi.json",
            "/healthz")) {
      Answer a = send("GET", path, null);
      assertThat(a.status).as("GET %s: %s", path, a.body()).isEqualTo(200);
    }
    assertThat(scanned.get("GET /metrics").length).isPositive();
    assertThat(new String(scanned.get("GET /ui"), StandardCharsets.UTF_8)).contains("<html");
  }

  private static Map<String, Object> keyBody(String name) {
    return Map.of("owner_id", "acme", "name", name, "scopes", List.of("read"));
  }

  private record Answer(int status, byte[] bytes) {
    String body() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    JsonNode expect(int want) {
      assertThat(status).as("HTTP status; body %s", body()).isEqualTo(want);
      try {
        return Json.MAPPER.readTree(bytes);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
  }

  /** A one-time display (201 holding a raw key): kept apart for the control. */
  private JsonNode display(String method, String path, Object body) {
    Answer a = exchange(method, path, body, node.admin, Map.of());
    JsonNode json = a.expect(201);
    displays.add(a.bytes);
    String raw =
        json.has("new_key")
            ? json.path("new_key").path("api_key").asText()
            : json.path("api_key").asText();
    displayedKeys.add(raw);
    return json;
  }

  private JsonNode verify(String key) {
    return send("POST", "/v1/verify", Map.of("key", key, "ip", "10.1.2.3")).expect(200);
  }

  private Answer authz(String key, String originalUri) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("X-Original-URI", originalUri);
    if (key != null) {
      headers.put("X-API-Key", key);
    }
    Answer a = exchange("GET", "/v1/authz", null, null, headers);
    scanned.put("GET /v1/authz #" + scanned.size(), a.bytes);
    return a;
  }

  /** An admin call whose answer is scanned. */
  private Answer send(String method, String path, Object body) {
    Answer a = exchange(method, path, body, node.admin, Map.of());
    String name = method + " " + path;
    scanned.put(scanned.containsKey(name) ? name + " #" + scanned.size() : name, a.bytes);
    return a;
  }

  private Answer exchange(
      String method, String path, Object body, String token, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(node.base + path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    headers.forEach(b::header);
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(Json.write(body)));
    try {
      HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Answer(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new AssertionError(method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
