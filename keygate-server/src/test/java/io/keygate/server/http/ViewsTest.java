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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

  // ---------------------------------------------------------------- answers as before issue 18

  /**
   * A key with nothing optional set (no hint, owner, expiry, limits, quota or use), for the
   * comparisons with the views as they were before issue 18.
   */
  private static final ApiKeyRecord BARE =
      new ApiKeyRecord(
          "key_bare",
          "admin",
          null,
          HASH,
          1,
          null,
          new KeySettings("t", List.of(), List.of(), List.of(), Map.of()),
          KeyStatus.ACTIVE,
          NOW.minusSeconds(60),
          NOW.minusSeconds(60),
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          0);

  /** {@code KEY} revoked for a reason, rotated to another key, with a revocation deadline. */
  private static final ApiKeyRecord REVOKED =
      new ApiKeyRecord(
          "key_revoked",
          "admin",
          "kg_adm_…wxyz",
          HASH,
          2,
          "acme",
          new KeySettings("ops", List.of("keys:read"), List.of(), List.of(), Map.of()),
          KeyStatus.REVOKED,
          NOW.minusSeconds(600),
          NOW.minusSeconds(30),
          NOW.plus(Duration.ofDays(90)),
          NOW.minusSeconds(30),
          "rotated",
          NOW.minusSeconds(10),
          "key_0000000001",
          "key_0000000002",
          NOW.minusSeconds(40),
          3);

  private static ApiKeyRecord record(String which) {
    return switch (which) {
      case "full" -> KEY;
      case "bare" -> BARE;
      default -> REVOKED;
    };
  }

  /** The JSON text of {@code view} (field order included). */
  private static String json(Object view) {
    return Json.MAPPER.valueToTree(view).toString();
  }

  /** {@link Views.TokenView} as it was before issue 18 (a copy of every field). */
  record OldTokenView(
      String keyId,
      String hint,
      String ownerId,
      String name,
      String status,
      List<String> scopes,
      Instant createdAt,
      Instant expiresAt,
      Instant revokedAt,
      String revokeReason,
      Instant revokesAt,
      String rotatedFrom,
      String rotatedTo,
      Instant lastUsedAt) {
    static OldTokenView of(ApiKeyRecord r, Instant now) {
      return new OldTokenView(
          r.keyId(),
          r.hint(),
          r.ownerId(),
          r.settings().name(),
          r.effectiveStatus(now).wire(),
          r.settings().scopes(),
          r.createdAt(),
          r.expiresAt(),
          r.revokedAt(),
          r.revokeReason(),
          r.revokesAt(),
          r.rotatedFrom(),
          r.rotatedTo(),
          r.lastUsedAt());
    }
  }

  /** {@link Views.Created} as it was before issue 18. */
  record OldCreated(
      String apiKey,
      String keyId,
      String type,
      String hint,
      String ownerId,
      String name,
      List<String> scopes,
      List<String> ipAllowlist,
      List<Views.RateLimitView> rateLimits,
      Map<String, Object> meta,
      Instant createdAt,
      Instant expiresAt,
      String rotatedFrom,
      String warning) {
    static OldCreated of(CreatedKey k) {
      ApiKeyRecord r = k.record();
      return new OldCreated(
          k.secret().reveal(),
          r.keyId(),
          r.type(),
          r.hint(),
          r.ownerId(),
          r.settings().name(),
          r.settings().scopes(),
          r.settings().ipAllowlist(),
          r.settings().rateLimits().stream().map(Views.RateLimitView::of).toList(),
          r.settings().meta(),
          r.createdAt(),
          r.expiresAt(),
          r.rotatedFrom(),
          "Store this key now: Keygate keeps only a hash and will never show it again.");
    }
  }

  /** {@link Views.TokenCreated} as it was before issue 18. */
  record OldTokenCreated(
      String token,
      String keyId,
      String hint,
      String ownerId,
      String name,
      List<String> scopes,
      Instant createdAt,
      Instant expiresAt,
      String rotatedFrom,
      String warning) {
    static OldTokenCreated of(CreatedKey k) {
      ApiKeyRecord r = k.record();
      return new OldTokenCreated(
          k.secret().reveal(),
          r.keyId(),
          r.hint(),
          r.ownerId(),
          r.settings().name(),
          r.settings().scopes(),
          r.createdAt(),
          r.expiresAt(),
          r.rotatedFrom(),
          "Store this token now: Keygate keeps only a hash and will never show it again.");
    }
  }

  /** {@link Views.AuditView} as it was before issue 18. */
  record OldAuditView(
      long seq,
      Instant at,
      String actor,
      String action,
      String targetId,
      String ownerId,
      String sourceIp,
      Map<String, String> details,
      String prevHash,
      String hash,
      int keyVersion) {
    static OldAuditView of(AuditEvent e) {
      return new OldAuditView(
          e.seq(),
          e.entry().at(),
          e.entry().actor(),
          e.entry().action(),
          e.entry().targetId(),
          e.entry().ownerId(),
          e.entry().sourceIp(),
          e.entry().details(),
          e.prevHash(),
          e.hash(),
          e.keyVersion());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"full", "bare", "revoked"})
  void tokenAndCreatedViews_showTheSameJsonAsBefore_valuesAndNullsIncluded(String which) {
    ApiKeyRecord r = record(which);
    CreatedKey created = new CreatedKey(r, new ApiKeySecret("kg_live_x"));
    Instant later = NOW.plus(Duration.ofDays(30)); // expired and past revokes_at where set

    assertThat(json(Views.TokenView.of(r, NOW))).isEqualTo(json(OldTokenView.of(r, NOW)));
    assertThat(json(Views.TokenView.of(r, later))).isEqualTo(json(OldTokenView.of(r, later)));
    assertThat(json(Views.Created.of(created))).isEqualTo(json(OldCreated.of(created)));
    assertThat(json(Views.TokenCreated.of(created))).isEqualTo(json(OldTokenCreated.of(created)));
  }

  @Test
  void rotatedAnswers_nestTheNewKeyAsItsCreatedView_neverTheHash() {
    Views.Rotated rotated =
        new Views.Rotated(Views.Created.of(CREATED), "key_old", NOW.plusSeconds(3600), "msg");
    Views.TokenRotated tokenRotated =
        new Views.TokenRotated(
            Views.TokenCreated.of(CREATED), "key_old", NOW.plusSeconds(3600), "msg");

    JsonNode r = Json.MAPPER.valueToTree(rotated);
    JsonNode t = Json.MAPPER.valueToTree(tokenRotated);
    assertThat(r.get("new_key").toString()).isEqualTo(json(OldCreated.of(CREATED)));
    assertThat(t.get("new_token").toString()).isEqualTo(json(OldTokenCreated.of(CREATED)));
    assertThat(r.toString()).doesNotContain(HASH);
    assertThat(t.toString()).doesNotContain(HASH);
  }

  @Test
  void auditView_showsTheSameJsonAsBefore() {
    for (AuditEntry entry :
        List.of(
            new AuditEntry(NOW, "cli:ops", "key.revoked", KEY.keyId(), "acme", null, Map.of()),
            new AuditEntry(
                NOW,
                "key_admin",
                "key.created",
                null,
                null,
                "10.0.0.1",
                Map.of("b", "2", "a", "1")))) {
      AuditEvent e = new AuditEvent(5, entry, "prev", "hash", 1);
      assertThat(json(Views.AuditView.of(e))).isEqualTo(json(OldAuditView.of(e)));
    }
  }
}
