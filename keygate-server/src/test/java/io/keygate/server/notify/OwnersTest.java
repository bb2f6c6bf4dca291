package io.keygate.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.testing.ManualClock;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.testing.KeygateServerExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Owners API: channels sealed at rest, secrets never returned, owner-restricted tokens. */
class OwnersTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String SECRET = "whsec_very_secret_signing_value_9f8e";
  private static final String EMAIL = "security-team@acme-owner.example";
  // a documentation address (TEST-NET-3), allowed below: the URL is stored, never called
  private static final String URL = "https://203.0.113.10/keygate";

  @TempDir Path dir;

  /** A node that accepts the URL and email channels (SMTP configured; no mail is sent here). */
  private Node node() {
    return new Node(
        servers,
        dir,
        new ManualClock(),
        NotifyConfig.defaults()
            .withSmtp(new NotifyConfig.Smtp("127.0.0.1", 25, null, null, "kg@test.example", false)),
        OutboundConfig.defaults().allowing("203.0.113.0/24"));
  }

  /** {@code POST /v1/owners} of owner {@code id} with one webhook. */
  private static Node.Res createOwnerWithWebhook(Node n, String id, String url, String secret) {
    return n.call(
        "POST",
        "/v1/owners",
        Node.map("owner_id", id, "webhooks", List.of(Node.map("url", url, "secret", secret))));
  }

  @Test
  void channels_areEncryptedAtRest_andSecretsNeverReturned() throws IOException {
    try (Node n = node()) {
      JsonNode created =
          n.call(
                  "POST",
                  "/v1/owners",
                  Node.map(
                      "owner_id",
                      "acme",
                      "name",
                      "Acme",
                      "webhooks",
                      List.of(Node.map("url", URL, "secret", SECRET)),
                      "emails",
                      List.of(EMAIL)))
              .expect(201);
      assertThat(created.toString()).doesNotContain(SECRET);
      JsonNode hook = created.get("webhooks").get(0);
      assertThat(hook.get("secret_set").asBoolean()).isTrue();
      assertThat(hook.get("secret_hint").asText()).isEqualTo("…9f8e");
      assertThat(hook.get("url").asText()).isEqualTo(URL);
      JsonNode got = n.call("GET", "/v1/owners/acme", null).expect(200);
      assertThat(got.toString()).doesNotContain(SECRET).contains(EMAIL);

      JsonNode patched =
          n.call("PATCH", "/v1/owners/acme", Node.map("webhooks", List.of(Node.map("url", URL))))
              .expect(200);
      assertThat(patched.get("webhooks").get(0).get("id").asText())
          .isEqualTo(hook.get("id").asText());
      assertThat(patched.get("emails").get(0).get("address").asText()).isEqualTo(EMAIL);
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        assertThat(content).as(f.getFileName().toString()).doesNotContain(SECRET);
        if (f.getFileName().toString().startsWith("keygate.db")) {
          assertThat(content).as(f.getFileName().toString()).doesNotContain(EMAIL);
          assertThat(content).as(f.getFileName().toString()).doesNotContain("acme-owner.example");
          assertThat(content).as(f.getFileName().toString()).doesNotContain("203.0.113.10");
        }
      }
    }
    assertThat(Files.getPosixFilePermissions(dir.resolve("data-key")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void createAndUpdate_writeTheirAuditEvents_withoutChannelValues_andAConflictWritesNone() {
    try (Node n = node()) {
      n.call("POST", "/v1/owners", Node.map("owner_id", "acme", "emails", List.of(EMAIL)))
          .expect(201);
      JsonNode created = n.call("GET", "/v1/audit?limit=1", null).expect(200).get("data").get(0);
      assertThat(created.get("action").asText()).isEqualTo("owner.created");
      assertThat(created.get("target_id").asText()).isEqualTo("acme");
      assertThat(created.get("details").get("emails").asText()).isEqualTo("1");
      assertThat(created.toString()).doesNotContain(EMAIL);

      n.call("POST", "/v1/owners", Node.map("owner_id", "acme")).expect(409);
      assertThat(n.call("GET", "/v1/audit?limit=1", null).expect(200).get("data").get(0).get("seq"))
          .as("a refused create writes no event")
          .isEqualTo(created.get("seq"));

      n.call(
              "PATCH",
              "/v1/owners/acme",
              Node.map("webhooks", List.of(Node.map("url", URL, "secret", SECRET))))
          .expect(200);
      JsonNode updated = n.call("GET", "/v1/audit?limit=1", null).expect(200).get("data").get(0);
      assertThat(updated.get("action").asText()).isEqualTo("owner.updated");
      assertThat(updated.get("seq").asLong()).isEqualTo(created.get("seq").asLong() + 1);
      assertThat(updated.get("details").get("webhooks").asText()).isEqualTo("1");
      assertThat(updated.toString()).doesNotContain(URL).doesNotContain(SECRET);
    }
  }

  @Test
  void ownerRestrictedToken_seesOnlyItsOwner_andBadInputIs400() {
    try (Node n = node()) {
      for (String o : List.of("acme", "globex")) {
        n.call("POST", "/v1/owners", Node.map("owner_id", o, "name", o)).expect(201);
      }
      String acme = n.token("acme", List.of(AdminScopes.OWNERS_READ, AdminScopes.OWNERS_WRITE));
      assertThat(n.call("GET", "/v1/owners/acme", null, acme).status()).isEqualTo(200);
      assertThat(n.call("GET", "/v1/owners/globex", null, acme).status()).isEqualTo(404);
      assertThat(n.call("POST", "/v1/owners", Node.map("owner_id", "initech"), acme).status())
          .isEqualTo(400);
      String readOnly = n.token(null, List.of(AdminScopes.KEYS_READ));
      assertThat(n.call("GET", "/v1/owners/acme", null, readOnly).status()).isEqualTo(403);
      assertThat(n.call("POST", "/v1/owners", Node.map("owner_id", "acme")).status())
          .isEqualTo(409);
      assertThat(
              createOwnerWithWebhook(n, "x1", "ftp://x.example/", SECRET)
                  .expect(400)
                  .get("error")
                  .asText())
          .isEqualTo("invalid_webhooks");
      assertThat(createOwnerWithWebhook(n, "x2", "https://x.example/", "short").status())
          .isEqualTo(400);
      assertThat(
              n.call("POST", "/v1/owners", Node.map("owner_id", "x3", "emails", List.of("nope")))
                  .status())
          .isEqualTo(400);
      assertThat(n.call("GET", "/v1/owners/nobody", null).status()).isEqualTo(404);
    }
  }
}
