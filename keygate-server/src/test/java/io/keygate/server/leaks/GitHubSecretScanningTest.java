package io.keygate.server.leaks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.events.EventTypes;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.lifecycle.Actor;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.http.Json;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.LeakServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GitHub Secret Scanning partner endpoint against a real server: payloads signed with a P-256
 * key pair made here, trusted through a keys file in GitHub's meta format.
 */
class GitHubSecretScanningTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String KEY_ID =
      "bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c";
  private static final String PATH = "/v1/secret-scanning/github";

  @TempDir Path dir;
  private LeakServer s;
  private PrivateKey signer;

  @BeforeEach
  void start() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    signer = pair.getPrivate();
    KeyPair other = g.generateKeyPair();
    Path keys = dir.resolve("github-keys.json");
    Files.writeString(
        keys,
        Json.MAPPER.writeValueAsString(
            Map.of(
                "public_keys",
                List.of(
                    Map.of("key_identifier", "old-key", "key", pem(other), "is_current", false),
                    Map.of("key_identifier", KEY_ID, "key", pem(pair), "is_current", true)))));
    s =
        servers.startLeaks(
            dir.resolve("data"),
            LeakConfig.fromEnv(Map.of("KEYGATE_GITHUB_KEYS_FILE", keys.toString())));
  }

  private static String pem(KeyPair p) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(p.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  private String sign(byte[] body) throws Exception {
    Signature sig = Signature.getInstance("SHA256withECDSA");
    sig.initSign(signer);
    sig.update(body);
    return Base64.getEncoder().encodeToString(sig.sign());
  }

  private LeakServer.Response deliver(byte[] body, String id, String signature) {
    List<String> h = new ArrayList<>(List.of("Content-Type", "application/json"));
    if (id != null) {
      h.addAll(List.of("Github-Public-Key-Identifier", id));
    }
    if (signature != null) {
      h.addAll(List.of("Github-Public-Key-Signature", signature));
    }
    return s.send("POST", PATH, null, body, h.toArray(String[]::new));
  }

  private static byte[] payload(String... tokens) {
    List<Map<String, Object>> items = new ArrayList<>();
    for (String t : tokens) {
      items.add(
          Map.of(
              "token", t,
              "type", "keygate_api_key",
              "url", "https://github.com/octo/repo/blob/abc123/config.py#L3",
              "source", "Content"));
    }
    return Json.write(items);
  }

  /** A well-formed key with one body character changed: its checksum no longer matches. */
  private static String lookAlike(String key) {
    int i = key.length() - 10;
    char c = key.charAt(i) == 'a' ? 'b' : 'a';
    return key.substring(0, i) + c + key.substring(i + 1);
  }

  @Test
  void signedPayload_revokesLiveKey_andLabelsEveryToken() throws Exception {
    String[] live = s.createKey("acme", "live_secret");
    String[] gone = s.createKey("acme", "live_secret");
    s.server.keygate().keys().revoke(gone[0], "manual", new Actor("test", null, null));
    String[] unknownSource = s.createKey("other", "live_secret");
    String unknown = unknownSource[1];
    s.server.keygate().keys().revoke(unknownSource[0], "x", new Actor("test", null, null));
    String neverStored =
        s.server
            .keygate()
            .format()
            .generate(s.server.keygate().format().types().byName("live_secret").orElseThrow())
            .reveal();
    String fake = lookAlike(live[1]);

    byte[] body = payload(live[1], gone[1], fake, neverStored);
    LeakServer.Response r = deliver(body, KEY_ID, sign(body));

    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(live[1]).doesNotContain(gone[1]);
    JsonNode fb = r.json();
    assertThat(fb).hasSize(4);
    assertThat(fb.get(0).get("token_hash").asText()).isEqualTo(KeyHasher.sha256Hex(live[1]));
    assertThat(fb.get(0).get("token_type").asText()).isEqualTo("keygate_api_key");
    assertThat(fb.get(0).get("label").asText()).isEqualTo("true_positive");
    assertThat(fb.get(1).get("label").asText()).isEqualTo("true_positive");
    assertThat(fb.get(2).get("label").asText()).isEqualTo("false_positive");
    assertThat(fb.get(2).get("token_hash").asText()).isEqualTo(KeyHasher.sha256Hex(fake));
    assertThat(fb.get(3).get("label").asText()).isEqualTo("false_positive");
    assertThat(unknown).isNotEmpty();

    assertThat(s.verify(live[1])).isEqualTo("key_revoked");
    var incidents =
        s.server.keygate().store().incidents(new IncidentQuery(null, live[0], 10, null)).items();
    assertThat(incidents)
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.action().wire()).isEqualTo("revoked");
              assertThat(i.source()).isEqualTo("github:content");
              assertThat(i.location().url()).contains("github.com/octo/repo");
              assertThat(i.reporter()).isEqualTo("secret-scanning:github");
              assertThat(i.timeToRevocation()).isNotNull();
            });
    List<OutboxEvent> events = s.server.keygate().store().outbox(null, live[0], 10);
    assertThat(events).extracting(OutboxEvent::type).contains(EventTypes.KEY_LEAKED);
    OutboxEvent leaked =
        events.stream().filter(e -> e.type().equals(EventTypes.KEY_LEAKED)).findFirst().get();
    assertThat(leaked.data()).containsEntry("action", "revoked").containsKey("found_at");
    assertThat(leaked.data().toString()).doesNotContain(live[1]);

    JsonNode list = s.get("/v1/leaks?key_id=" + live[0]).json();
    assertThat(list.get("data")).hasSize(1);
    assertThat(list.get("data").get(0).get("time_to_revocation_ms").asLong()).isNotNegative();
    // the already-revoked key is recorded but not acted on twice
    var goneIncidents =
        s.server.keygate().store().incidents(new IncidentQuery(null, gone[0], 10, null)).items();
    assertThat(goneIncidents)
        .singleElement()
        .satisfies(i -> assertThat(i.action().wire()).isEqualTo("already_revoked"));

    // a replay of the same payload changes nothing more
    LeakServer.Response again = deliver(body, KEY_ID, sign(body));
    assertThat(again.status()).isEqualTo(200);
    assertThat(
            s.server.keygate().store().incidents(new IncidentQuery(null, null, 100, null)).items())
        .hasSize(2);
  }

  @Test
  void badSignatures_are401_andChangeNothing() throws Exception {
    String[] live = s.createKey("acme", "live_secret");
    byte[] body = payload(live[1]);
    String good = sign(body);
    byte[] tampered = body.clone();
    int at = new String(tampered, StandardCharsets.UTF_8).indexOf("octo");
    tampered[at] = (byte) 'O';
    assertThat(deliver(tampered, KEY_ID, good).status()).isEqualTo(401);
    assertThat(deliver(body, "not-a-known-key", good).status()).isEqualTo(401);
    assertThat(deliver(body, "old-key", good).status()).isEqualTo(401);
    assertThat(deliver(body, KEY_ID, null).status()).isEqualTo(401);
    assertThat(deliver(body, null, good).status()).isEqualTo(401);
    assertThat(deliver(body, KEY_ID, "bm90IGEgc2lnbmF0dXJl").status()).isEqualTo(401);
    assertThat(deliver(body, KEY_ID, "%%%not base64").status()).isEqualTo(401);
    assertThat(deliver(body, KEY_ID, good).json()).isNotNull(); // the genuine one still works

    // every refusal above left the key alone; only the genuine delivery revoked it
    var incidents =
        s.server.keygate().store().incidents(new IncidentQuery(null, null, 100, null)).items();
    assertThat(incidents).hasSize(1);
  }

  @Test
  void badSignature_leavesKeyValid() throws Exception {
    String[] live = s.createKey("acme", "live_secret");
    byte[] body = payload(live[1]);
    String good = sign(body);
    body[body.length - 3] ^= 1;
    assertThat(deliver(body, KEY_ID, good).status()).isEqualTo(401);
    assertThat(s.verify(live[1])).isEqualTo("valid");
    assertThat(
            s.server.keygate().store().incidents(new IncidentQuery(null, null, 10, null)).items())
        .isEmpty();
    assertThat(s.server.keygate().store().outbox(null, live[0], 10))
        .extracting(OutboxEvent::type)
        .doesNotContain(EventTypes.KEY_LEAKED);
  }

  @Test
  void signedGarbage_is400() throws Exception {
    for (String bad : List.of("not json", "{\"token\":\"x\"}", "[{\"token\": 5}]", "[1]")) {
      byte[] body = bad.getBytes(StandardCharsets.UTF_8);
      LeakServer.Response r = deliver(body, KEY_ID, sign(body));
      assertThat(r.status()).as(bad + " -> " + r.body()).isEqualTo(400);
    }
    byte[] empty = "[]".getBytes(StandardCharsets.UTF_8);
    assertThat(deliver(empty, KEY_ID, sign(empty)).json()).isEmpty();
  }

  @Test
  void unknownSender_is404_andUnconfiguredSender_is503() {
    assertThat(s.send("POST", "/v1/secret-scanning/nobody", null, new byte[] {'[', ']'}).status())
        .isEqualTo(404);
    try (LeakServer bare = servers.startLeaks(dir.resolve("bare"), LeakConfig.defaults())) {
      assertThat(bare.send("POST", PATH, null, new byte[] {'[', ']'}).status()).isEqualTo(503);
    }
  }

  @Test
  void threeThousandTokens_areAnsweredInOneRequest() throws Exception {
    List<String> keys = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String[] k = s.createKey("bulk", "live_secret");
      keys.add(k[1]);
      ids.add(k[0]);
    }
    var type = s.server.keygate().format().types().byName("live_secret").orElseThrow();
    List<String> tokens = new ArrayList<>(keys);
    while (tokens.size() < 3000) {
      String k = s.server.keygate().format().generate(type).reveal();
      tokens.add(tokens.size() % 2 == 0 ? k : lookAlike(k));
    }
    byte[] body = payload(tokens.toArray(String[]::new));
    LeakServer.Response r = deliver(body, KEY_ID, sign(body));
    assertThat(r.status())
        .as(r.body().substring(0, Math.min(300, r.body().length())))
        .isEqualTo(200);
    JsonNode fb = r.json();
    assertThat(fb).hasSize(3000);
    for (int i = 0; i < 3000; i++) {
      assertThat(fb.get(i).get("label").asText())
          .isEqualTo(i < 20 ? "true_positive" : "false_positive");
    }
    for (String k : keys) {
      assertThat(s.verify(k)).isEqualTo("key_revoked");
    }
  }
}
