package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.verify.LegacyKeys;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ImportRoutesTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;

  private static String rawKey(String prefix) {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }

  @Test
  void import_oneBadLineImportsNothing_andNamesEveryBadLine_thenTheFixedFileImportsAndVerifies()
      throws Exception {
    try (TestServer s = servers.start(dir)) {
      String k1 = rawKey("acme_");
      String k2 = rawKey("acme_");
      String good1 =
          "{\"sha256\":\""
              + LegacyKeys.sha256Hex(k1)
              + "\",\"prefix\":\"acme_\",\"owner_id\":\"cust_1\",\"name\":\"old 1\","
              + "\"scopes\":[\"read\"],\"rate_limit\":\"100/minute\",\"expires_in_days\":30}";
      String repeat =
          "{\"sha256\":\""
              + LegacyKeys.sha256Hex(k1)
              + "\",\"prefix\":\"acme_\",\"owner_id\":\"cust_1\"}";
      String body =
          String.join(
              "\n",
              good1,
              "{\"sha256\":\"not-hex\",\"owner_id\":\"cust_1\"}",
              "",
              "{\"sha256\":\"" + LegacyKeys.sha256Hex(k2) + "\",\"prefix\":\"acme_\"}",
              "{not json",
              repeat);
      JsonNode refused =
          s.req("POST", "/v1/keys/import").body(body, "application/x-ndjson").send().expect(400);
      assertThat(refused.get("error").asText()).isEqualTo("invalid_import");
      assertThat(refused.get("lines").findValuesAsText("line")).containsExactly("2", "4", "5");
      assertThat(refused.get("lines").findValuesAsText("error"))
          .containsExactly("invalid_sha256", "invalid_owner_id", "invalid_json");
      assertThat(s.verify(k1).get("code").asText()).as("nothing imported").isEqualTo("invalid_key");
      assertThat(s.server.keygate().store().legacyPrefixes()).isEmpty();

      // a dry run of the fixed file checks without writing
      String fixed = String.join("\n", good1, repeat);
      assertThat(
              s.req("POST", "/v1/keys/import?dry_run=true")
                  .body(fixed, "application/x-ndjson")
                  .send()
                  .expect(200)
                  .get("valid")
                  .asInt())
          .isEqualTo(2);
      assertThat(s.verify(k1).get("code").asText()).isEqualTo("invalid_key");

      JsonNode j =
          s.req("POST", "/v1/keys/import").body(fixed, "application/x-ndjson").send().expect(200);
      assertThat(j.get("imported").asInt()).isEqualTo(1);
      assertThat(j.get("skipped").findValuesAsText("line")).containsExactly("2");
      assertThat(j.get("skipped").findValuesAsText("error")).containsExactly("already_imported");

      assertThat(s.verify(k1).get("code").asText()).isEqualTo("valid");
      assertThat(s.verify(k2).get("code").asText()).isEqualTo("invalid_key");
      // after the first use it verifies by its keyed hash; the SHA-256 is gone
      assertThat(s.server.keygate().store().findByLegacySha256(LegacyKeys.sha256Hex(k1))).isEmpty();
      assertThat(s.server.keygate().store().legacyPrefixes()).isEmpty();
      assertThat(
              s.req("POST", "/v1/keys/import?dry_run=maybe")
                  .body(fixed, "application/x-ndjson")
                  .send()
                  .expect(400)
                  .get("error")
                  .asText())
          .isEqualTo("invalid_dry_run");
    }
  }

  @Test
  void import_refusesEveryMalformedSetting_withTheCodeCreateAnswers_andStoresNone() {
    try (TestServer s = servers.start(dir)) {
      List<Map<String, Object>> bad =
          List.of(
              Map.of("scopes", List.of("read", "GET /v1/../admin")),
              Map.of("scopes", List.of("FETCH /v1/x")),
              Map.of("scopes", List.of("read write")),
              Map.of("scopes", List.of("GET v1/data")),
              Map.of("scopes", List.of("GET /v1/da*ta")),
              Map.of("scopes", List.of("GET /v1/%2e%2e/admin")),
              Map.of("scopes", List.of()),
              Map.of("ip_allowlist", List.of("localhost")),
              Map.of("ip_allowlist", List.of("10.0.0.0/33")),
              Map.of("rate_limits", List.of("10/minute", "20/minute")),
              Map.of("name", "n".repeat(201)),
              Map.of("owner_id", "has space"),
              Map.of("type", "admin"),
              Map.of("expires_in_days", 0),
              Map.of("expires_in_days", 10_000));
      StringBuilder lines = new StringBuilder();
      List<String> createCodes = new ArrayList<>();
      for (Map<String, Object> setting : bad) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("owner_id", "acme"));
        body.putAll(setting);
        JsonNode created = s.post("/v1/keys", body).expect(400);
        createCodes.add(created.path("error").asText());
        body.put("sha256", LegacyKeys.sha256Hex(rawKey("acme_")));
        body.put("prefix", "acme_");
        lines.append(Json.MAPPER.valueToTree(body).toString()).append('\n');
      }
      JsonNode j =
          s.req("POST", "/v1/keys/import")
              .body(lines.toString(), "application/x-ndjson")
              .send()
              .expect(400);
      assertThat(j.get("error").asText()).isEqualTo("invalid_import");
      assertThat(j.get("lines").findValuesAsText("error")).containsExactlyElementsOf(createCodes);
      assertThat(createCodes)
          .contains(
              "invalid_scopes",
              "invalid_ip_allowlist",
              "invalid_rate_limit",
              "invalid_name",
              "invalid_owner_id",
              "invalid_key_type",
              "invalid_expiry");
      assertThat(s.get("/v1/keys").expect(200).path("data").size()).isZero();
    }
  }

  @Test
  void import_requiresKeysWriteScope() {
    try (TestServer s = servers.start(dir)) {
      String readOnly = s.token(null, List.of("keys:read"));
      TestServer.Response r =
          s.req("POST", "/v1/keys/import")
              .token(readOnly)
              .body("{}", "application/x-ndjson")
              .send();
      assertThat(r.status()).isEqualTo(403);
    }
  }
}
