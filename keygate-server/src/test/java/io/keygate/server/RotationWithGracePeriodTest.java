package io.keygate.server;

import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 2, "Must show": during the grace period both keys verify; after it (fake clock) the old one
 * answers {@code key_revoked} and the sweep records the revocation; grace 0 revokes at once.
 */
class RotationWithGracePeriodTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;
  TestServer t;

  @BeforeEach
  void start() {
    // the background sweep is pushed far out so the test runs it by hand, deterministically
    t =
        servers.start(
            dir, c -> TestServer.withIntervals(c, Duration.ofHours(1), Duration.ofDays(1)));
  }

  @Test
  void rotate_withGracePeriod_keepsOldKeyValidUntilDeadline_thenSweepRecordsRevocation() {
    JsonNode old = t.createKey("owner_id", "acme", "scopes", List.of("read", "write"));
    String oldId = old.path("key_id").asText();
    String oldRaw = old.path("api_key").asText();

    JsonNode r = t.post("/v1/keys/" + oldId + "/rotate", map("grace_period_hours", 1)).expect(201);
    String newRaw = r.path("new_key").path("api_key").asText();
    String newId = r.path("new_key").path("key_id").asText();
    Instant deadline = Instant.parse(r.path("old_key_revokes_at").asText());
    assertThat(deadline).isEqualTo(t.clock.instant().plus(Duration.ofHours(1)));

    // during the grace period both keys work, on verify and on forward auth
    t.clock.advance(Duration.ofMinutes(59));
    assertThat(t.verify(oldRaw).path("code").asText()).isEqualTo("valid");
    assertThat(t.verify(newRaw).path("code").asText()).isEqualTo("valid");
    authz(oldRaw, 200);
    assertThat(t.server.keygate().keys().sweep()).isZero();

    // past the deadline the verifier's time check refuses the old key, before any sweep
    t.clock.set(deadline.plusMillis(1));
    assertThat(t.verify(oldRaw).path("code").asText()).isEqualTo("key_revoked");
    authz(oldRaw, 401);
    assertThat(t.verify(newRaw).path("code").asText()).isEqualTo("valid");
    assertThat(t.get("/v1/keys/" + oldId).expect(200).path("status").asText()).isEqualTo("revoked");

    // the sweep records it: stored state and audit log agree
    assertThat(t.server.keygate().keys().sweep()).isEqualTo(1);
    JsonNode stored = t.get("/v1/keys/" + oldId).expect(200);
    assertThat(stored.path("status").asText()).isEqualTo("revoked");
    assertThat(stored.path("revoke_reason").asText()).isEqualTo("rotated");
    assertThat(Instant.parse(stored.path("revoked_at").asText())).isEqualTo(deadline);
    assertThat(stored.path("rotated_to").asText()).isEqualTo(newId);
    JsonNode latest = t.get("/v1/audit?target_id=" + oldId).expect(200).path("data").get(0);
    assertThat(latest.path("action").asText()).isEqualTo("key.revoked");
    assertThat(latest.path("actor").asText()).isEqualTo("system");
    assertThat(t.server.keygate().keys().sweep()).isZero();
    assertThat(t.verify(oldRaw).path("code").asText()).isEqualTo("key_revoked");
    assertThat(t.verify(newRaw).path("code").asText()).isEqualTo("valid");
  }

  @Test
  void rotate_withZeroGrace_revokesOldKeyAtOnce() {
    JsonNode old = t.createKey("owner_id", "acme");
    String oldId = old.path("key_id").asText();
    String oldRaw = old.path("api_key").asText();
    assertThat(t.verify(oldRaw).path("code").asText()).isEqualTo("valid"); // now cached

    JsonNode r = t.post("/v1/keys/" + oldId + "/rotate", map("grace_period_hours", 0)).expect(201);

    assertThat(r.path("message").asText()).isEqualTo("Old key revoked now");
    assertThat(Instant.parse(r.path("old_key_revokes_at").asText())).isEqualTo(t.clock.instant());
    assertThat(t.verify(oldRaw).path("code").asText()).isEqualTo("key_revoked");
    assertThat(t.verify(r.path("new_key").path("api_key").asText()).path("code").asText())
        .isEqualTo("valid");
    JsonNode stored = t.get("/v1/keys/" + oldId).expect(200);
    assertThat(stored.path("status").asText()).isEqualTo("revoked");
    assertThat(stored.path("revoke_reason").asText()).isEqualTo("rotated");
    assertThat(t.server.keygate().keys().sweep()).isZero();
  }

  @Test
  void rotate_fractionalGrace_isHonouredToTheSecond() {
    String id = t.createKey("owner_id", "acme").path("key_id").asText();
    JsonNode r = t.post("/v1/keys/" + id + "/rotate", map("grace_period_hours", 0.5)).expect(201);
    assertThat(Instant.parse(r.path("old_key_revokes_at").asText()))
        .isEqualTo(t.clock.instant().plus(Duration.ofMinutes(30)));
    assertThat(r.path("message").asText()).isEqualTo("Old key will be revoked in 0.50 hours");
  }

  private void authz(String raw, int status) {
    t.req("GET", "/v1/authz").token(null).header("X-API-Key", raw).send().expectAuthz(status);
  }
}
