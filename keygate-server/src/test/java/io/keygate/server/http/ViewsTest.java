package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fields each view shows, in order: {@link Views.TokenView}, {@link Views.Created} and {@link
 * Views.TokenCreated} are allowlists over {@link Views.KeyView}, so a field added to the key view
 * must not leak into them; none shows the stored hash.
 */
class ViewsTest {
  private static final Instant NOW = Instant.parse("2026-01-10T00:00:00Z");
  private static final String HASH = "ab".repeat(32);

  /** A key with every optional part set: quota, expiry within the notice window, limits. */
  private static final ApiKeyRecord KEY =
      new ApiKeyRecord(
          "key_0123456789",
          "live_secret",
          "kg_live_…abcd",
          HASH,
          2,
          "acme",
          new KeySettings(
              "ci",
              List.of("read"),
              List.of("10.0.0.0/8"),
              List.of(new RateLimit("default", 10, Duration.ofSeconds(1))),
              Map.of("team", "core"),
              new Quota(100, 0, null, Instant.EPOCH)),
          KeyStatus.ACTIVE,
          NOW.minusSeconds(60),
          NOW.minusSeconds(30),
          NOW.plus(Duration.ofDays(5)),
          null,
          null,
          null,
          "key_0000000001",
          null,
          NOW.minusSeconds(10),
          7);

  private static final CreatedKey CREATED = new CreatedKey(KEY, new ApiKeySecret("kg_live_x"));

  private static List<String> fields(Object view) {
    JsonNode n = Json.MAPPER.valueToTree(view);
    assertThat(n.toString()).doesNotContain(HASH);
    List<String> names = new ArrayList<>();
    n.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void keyView_showsEveryPublicField_neverTheHash() {
    assertThat(fields(Views.KeyView.of(KEY, NOW)))
        .containsSubsequence(
            "key_id",
            "type",
            "hint",
            "owner_id",
            "name",
            "status",
            "scopes",
            "ip_allowlist",
            "rate_limits",
            "meta",
            "created_at",
            "updated_at",
            "expires_at",
            "revoked_at",
            "revoke_reason",
            "revokes_at",
            "rotated_from",
            "rotated_to",
            "last_used_at",
            "usage_count",
            "quota")
        .doesNotContain("hash", "pepper_version");
  }

  @Test
  void tokenView_showsOnlyTheTokenFields() {
    assertThat(fields(Views.TokenView.of(KEY, NOW)))
        .containsExactly(
            "key_id",
            "hint",
            "owner_id",
            "name",
            "status",
            "scopes",
            "created_at",
            "expires_at",
            "revoked_at",
            "revoke_reason",
            "revokes_at",
            "rotated_from",
            "rotated_to",
            "last_used_at");
  }

  @Test
  void created_showsTheKeyOnce_andTheNewKeysFields() {
    assertThat(fields(Views.Created.of(CREATED)))
        .containsExactly(
            "api_key",
            "key_id",
            "type",
            "hint",
            "owner_id",
            "name",
            "scopes",
            "ip_allowlist",
            "rate_limits",
            "meta",
            "created_at",
            "expires_at",
            "rotated_from",
            "warning");
  }

  @Test
  void tokenCreated_showsTheTokenOnce_andTheNewTokensFields() {
    assertThat(fields(Views.TokenCreated.of(CREATED)))
        .containsExactly(
            "token",
            "key_id",
            "hint",
            "owner_id",
            "name",
            "scopes",
            "created_at",
            "expires_at",
            "rotated_from",
            "warning");
  }

  @Test
  void auditView_flattensTheEntry_thenItsPlaceInTheChain() {
    AuditEvent e =
        new AuditEvent(
            5,
            new AuditEntry(NOW, "cli:ops", "key.revoked", KEY.keyId(), "acme", null, Map.of()),
            "prev",
            "hash",
            1);
    assertThat(fields(Views.AuditView.of(e)))
        .containsExactly(
            "seq",
            "at",
            "actor",
            "action",
            "target_id",
            "owner_id",
            "source_ip",
            "details",
            "prev_hash",
            "hash",
            "key_version");
  }
}
