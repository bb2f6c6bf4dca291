package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.verify.LegacyKeys;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportRoutesTest {
  @TempDir Path dir;

  private static String rawKey(String prefix) {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }

  @Test
  void import_jsonLines_goodLinesImported_badLinesReportedByLine_andImportedKeysVerify()
      throws Exception {
    try (TestServer s = TestServer.start(dir)) {
      String k1 = rawKey("acme_");
      String k2 = rawKey("acme_");
      String body =
          String.join(
              "\n",
              "{\"sha256\":\""
                  + LegacyKeys.sha256Hex(k1)
                  + "\",\"prefix\":\"acme_\",\"owner_id\":\"cust_1\",\"name\":\"old 1\","
                  + "\"scopes\":[\"read\"],\"rate_limit\":\"100/minute\",\"expires_in_days\":30}",
              "{\"sha256\":\"not-hex\",\"owner_id\":\"cust_1\"}",
              "",
              "{\"sha256\":\"" + LegacyKeys.sha256Hex(k2) + "\",\"prefix\":\"acme_\"}",
              "{not json",
              "{\"sha256\":\""
                  + LegacyKeys.sha256Hex(k1)
                  + "\",\"prefix\":\"acme_\",\"owner_id\":\"cust_1\"}");
      TestServer.Response r =
          s.req("POST", "/v1/keys/import").body(body, "application/x-ndjson").send();
      JsonNode j = r.expect(200);
      assertThat(j.get("imported").asInt()).isEqualTo(1);
      assertThat(j.get("skipped").findValuesAsText("line")).containsExactly("2", "4", "5", "6");
      assertThat(j.get("skipped").findValuesAsText("error"))
          .containsExactly(
              "invalid_sha256", "invalid_owner_id", "invalid_json", "already_imported");

      assertThat(s.verify(k1).get("code").asText()).isEqualTo("valid");
      assertThat(s.verify(k2).get("code").asText()).isEqualTo("invalid_key");
      // after the first use it verifies by its keyed hash; the SHA-256 is gone
      assertThat(s.server.keygate().store().findByLegacySha256(LegacyKeys.sha256Hex(k1))).isEmpty();
      assertThat(s.server.keygate().store().legacyPrefixes()).isEmpty();
    }
  }

  @Test
  void import_requiresKeysWriteScope() {
    try (TestServer s = TestServer.start(dir)) {
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
