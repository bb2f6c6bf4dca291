package io.keygate.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.http.Json;
import io.keygate.server.testing.KeygateProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2, "Must show": a new user's path works exactly as README.md's five-minute walkthrough says
 * — the packaged jar started as its own process, an admin token from {@code admin create-token},
 * then the walkthrough's curl steps, then SIGTERM. Run by maven-failsafe-plugin after the shade
 * plugin has built {@code target/keygate.jar}.
 */
class ReadmeWalkthroughIT {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  @TempDir Path dataDir;
  private KeygateProcess server;
  private String base;
  private String token;

  @AfterEach
  void killServer() throws InterruptedException {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void readmeWalkthrough_worksAsWritten() throws Exception {
    server =
        KeygateProcess.serve(dataDir, KeygateProcess.freePort(), Map.of(), Duration.ofSeconds(60));
    base = server.base;

    // export KEYGATE_TOKEN=$(bin/keygate admin create-token)
    String stdout = KeygateProcess.adminToken(dataDir, Duration.ofSeconds(60));
    assertThat(stdout.lines().toList()).hasSize(1);
    token = stdout.strip();
    assertThat(token).startsWith("kg_admin_");

    // create a key for acme
    JsonNode created =
        call(
                "POST",
                "/v1/keys",
                """
                {"owner_id": "acme", "name": "acme backend", "scopes": ["read", "write"],
                 "ip_allowlist": ["127.0.0.1", "10.0.0.0/8"],
                 "rate_limit": {"requests": 1000, "window": 3600}, "expires_in_days": 90}""")
            .expect(201);
    String key = created.path("api_key").asText();
    String keyId = created.path("key_id").asText();
    assertThat(key).matches("sk_live_[0-9A-Za-z]{49}");
    assertThat(created.path("owner_id").asText()).isEqualTo("acme");
    assertThat(created.path("scopes").toString()).isEqualTo("[\"read\",\"write\"]");
    assertThat(created.path("hint").asText()).endsWith(key.substring(key.length() - 4));
    assertThat(created.path("warning").asText()).contains("never show it again");

    // verify
    JsonNode verified = verify(key);
    assertThat(verified.path("valid").asBoolean()).isTrue();
    assertThat(verified.path("code").asText()).isEqualTo("valid");
    assertThat(verified.path("key_id").asText()).isEqualTo(keyId);
    assertThat(verified.path("owner_id").asText()).isEqualTo("acme");

    // forward auth
    Answer ok = authz(key);
    ok.expect(200);
    assertThat(ok.header("X-Keygate-Key-Id")).isEqualTo(keyId);
    assertThat(ok.header("X-Keygate-Owner-Id")).isEqualTo("acme");
    assertThat(ok.header("X-Keygate-Scopes")).isEqualTo("read,write");

    // rotate with a one-hour grace period: both keys work meanwhile
    JsonNode rotated =
        call("POST", "/v1/keys/" + keyId + "/rotate", "{\"grace_period_hours\": 1}").expect(201);
    String newKey = rotated.path("new_key").path("api_key").asText();
    assertThat(newKey).startsWith("sk_live_").isNotEqualTo(key);
    assertThat(rotated.path("new_key").path("key_id").asText()).startsWith("key_");
    assertThat(rotated.path("old_key_id").asText()).isEqualTo(keyId);
    Duration grace =
        Duration.between(Instant.now(), Instant.parse(rotated.path("old_key_revokes_at").asText()));
    assertThat(grace).isBetween(Duration.ofMinutes(55), Duration.ofMinutes(61));
    assertThat(rotated.path("message").asText()).isEqualTo("Old key will be revoked in 1 hours");
    assertThat(verify(key).path("code").asText()).isEqualTo("valid");
    assertThat(verify(newKey).path("code").asText()).isEqualTo("valid");

    // revoke: the very next verification refuses the key
    call("POST", "/v1/keys/" + keyId + "/revoke", "{\"reason\": \"laptop stolen\"}").expect(200);
    Answer refused = authz(key);
    refused.expect(401);
    assertThat(refused.raw().body()).as("authz answers have no body by default").isEmpty();
    assertThat(refused.header("X-Keygate-Error")).isEqualTo("key_revoked");
    assertThat(refused.header("WWW-Authenticate"))
        .isEqualTo(
            "Bearer realm=\"keygate\", error=\"invalid_token\", error_description=\"key_revoked\"");
    authz(newKey).expect(200);

    // audit log, newest first
    JsonNode audit = call("GET", "/v1/audit?limit=5", null).expect(200);
    List<String> actions = new ArrayList<>();
    audit.path("data").forEach(e -> actions.add(e.path("action").asText()));
    assertThat(actions).startsWith("key.revoked").contains("key.rotated", "key.created");
    assertThat(audit.path("data").size()).isEqualTo(5);

    // bin/keygate audit verify
    KeygateProcess.assertAuditChainIntact(dataDir, Duration.ofSeconds(60));

    // SIGTERM: a clean stop within 10 s
    server.process.destroy();
    assertThat(server.process.waitFor(10, TimeUnit.SECONDS))
        .as("server stopped within 10 s")
        .isTrue();
    String log = server.output();
    assertThat(log).contains("Keygate listening on");
    for (String secret : List.of(key, newKey, token)) {
      assertThat(log).doesNotContain(secret.substring(secret.lastIndexOf('_') + 1));
    }
  }

  private record Answer(int status, HttpResponse<String> raw) {
    JsonNode expect(int expected) {
      assertThat(status).as("HTTP status; body: %s", raw.body()).isEqualTo(expected);
      try {
        return Json.MAPPER.readTree(raw.body());
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }

    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  private JsonNode verify(String key) throws Exception {
    return call(
            "POST",
            "/v1/verify",
            "{\"key\": \""
                + key
                + "\", \"ip\": \"10.1.2.3\", \"required_scopes\": [\"write\", \"admin\"]}")
        .expect(200);
  }

  private Answer authz(String key) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(base + "/v1/authz"))
            .header("X-API-Key", key)
            .header("X-Original-URI", "/api/data")
            .GET()
            .build();
    HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r);
  }

  private Answer call(String method, String path, String json) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + token)
            .timeout(Duration.ofSeconds(30));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(
        method,
        json == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r);
  }
}
