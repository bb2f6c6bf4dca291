package io.keygate.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.testing.ManualClock;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.testing.FakeDns;
import io.keygate.server.testing.KeygateServerExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SSRF through owners' webhooks, against a real node: a URL that reaches a non-public address in
 * any spelling or through any name is refused when it is stored (400 {@code
 * webhook_url_not_allowed}), and again at delivery, against the address actually connected to (a
 * stored URL whose name now resolves elsewhere, an operator who narrowed the allowed networks, a
 * redirect). Email channels need an SMTP server.
 */
class WebhookUrlGuardTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String SECRET = "whsec_test_0123456789abcdef";
  private static final NotifyConfig.Smtp SMTP =
      new NotifyConfig.Smtp("127.0.0.1", 25, null, null, "kg@test.example", false);

  @TempDir Path dir;
  private final FakeDns dns = new FakeDns();

  private Node node(OutboundConfig outbound) {
    return new Node(servers, dir, new ManualClock(), b -> b.outbound(outbound).outboundDns(dns));
  }

  private static Map<String, Object> owner(String id, String url) {
    return Node.map("owner_id", id, "webhooks", List.of(Node.map("url", url, "secret", SECRET)));
  }

  /** The first delivery of {@code owner}'s newest event. */
  private static JsonNode firstDelivery(Node n, String owner) {
    JsonNode events = n.call("GET", "/v1/events?owner_id=" + owner, null).expect(200).get("data");
    return events.get(0).get("deliveries").get(0);
  }

  private static String lastError(Node n, String owner) {
    return firstDelivery(n, owner).get("last_error").asText();
  }

  @Test
  void storing_aWebhookThatReachesANonPublicAddress_is400_inEverySpellingAndRoute() {
    dns.set("localhost", "127.0.0.1", "::1")
        .set("metadata.google.internal", "169.254.169.254")
        .set("db.corp.example", "10.20.30.40")
        .set("mixed.example", "93.184.215.14", "192.168.1.10")
        .set("v6.example", "fd00::5")
        .set("public.example", "93.184.215.14");
    List<String> refused =
        List.of(
            "http://127.0.0.1:8080/hook",
            "http://2130706433/hook",
            "http://0177.0.0.1/hook",
            "http://0x7f000001/hook",
            "http://127.000.000.001/hook",
            "http://0/hook",
            "http://0.0.0.0:80/",
            "http://169.254.169.254/latest/meta-data/iam/",
            "http://100.100.100.200/",
            "https://10.0.0.1/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[::ffff:7f00:1]/hook",
            "http://[64:ff9b::a9fe:a9fe]/hook",
            "http://[2002:a9fe:a9fe::1]/hook",
            "http://[fe80::1%25eth0]/hook",
            "http://[fd00::1]/hook",
            "http://localhost:8080/hook",
            "http://LOCALHOST/hook",
            "http://metadata.google.internal/computeMetadata/v1/",
            "https://db.corp.example/",
            "https://mixed.example/hook",
            "https://v6.example/hook",
            "https://does-not-resolve.example/hook");
    try (Node n = node(OutboundConfig.defaults())) {
      String tenant = n.token("acme", List.of(AdminScopes.OWNERS_READ, AdminScopes.OWNERS_WRITE));
      n.call("POST", "/v1/owners", owner("acme", "https://public.example/hook")).expect(201);
      for (String url : refused) {
        JsonNode created = n.call("POST", "/v1/owners", owner("new-owner", url)).expect(400);
        assertThat(created.get("error").asText()).as(url).isEqualTo("webhook_url_not_allowed");
        assertThat(created.get("message").asText())
            .as(url)
            .contains("webhooks[0].url")
            .doesNotContain("169.254.169.254")
            .doesNotContain("10.20.30.40")
            .doesNotContain("192.168.1.10");
        for (String token : List.of(n.admin, tenant)) {
          JsonNode patched =
              n.call(
                      "PATCH",
                      "/v1/owners/acme",
                      Node.map(
                          "webhooks",
                          List.of(
                              Node.map("url", "https://public.example/hook"),
                              Node.map("url", url, "secret", SECRET))),
                      token)
                  .expect(400);
          assertThat(patched.get("error").asText()).as(url).isEqualTo("webhook_url_not_allowed");
          assertThat(patched.get("message").asText()).as(url).contains("webhooks[1].url");
        }
      }
      // a name inside the network and a name that does not exist get the same answer: a tenant
      // cannot map the internal DNS through this endpoint
      assertThat(n.call("POST", "/v1/owners", owner("x", "https://db.corp.example/")).json())
          .isEqualTo(
              n.call("POST", "/v1/owners", owner("x", "https://no-such-host.example/")).json());
      // spellings that are not even URL hosts are refused as malformed
      for (String url : List.of("http://127.1/hook", "http://0x7f.0.0.1/hook", "http://1.2.3/")) {
        assertThat(n.call("POST", "/v1/owners", owner("x", url)).expect(400).get("error").asText())
            .as(url)
            .isEqualTo("invalid_webhooks");
      }
      // nothing refused was stored
      JsonNode acme = n.call("GET", "/v1/owners/acme", null).expect(200);
      assertThat(acme.get("webhooks")).hasSize(1);
      assertThat(acme.get("webhooks").get(0).get("url").asText())
          .isEqualTo("https://public.example/hook");
      assertThat(n.call("GET", "/v1/owners/new-owner", null).status()).isEqualTo(404);
      assertThat(n.call("GET", "/v1/audit?limit=100", null).expect(200).get("data").toString())
          .doesNotContain("new-owner")
          .doesNotContain("owner.updated");
    }
  }

  @Test
  void theOperatorsAllowedNetworks_openExactlyThoseAddresses() throws IOException {
    try (Receiver rx = new Receiver();
        Node n = node(OutboundConfig.defaults().allowing("127.0.0.1/32"))) {
      n.call("POST", "/v1/owners", owner("acme", rx.url())).expect(201);
      assertThat(
              n.call("POST", "/v1/owners", owner("other", "http://127.0.0.2/hook"))
                  .expect(400)
                  .get("error")
                  .asText())
          .isEqualTo("webhook_url_not_allowed");
      n.call("POST", "/v1/keys", Node.map("owner_id", "acme")).expect(201);
      n.deliver();
      assertThat(rx.hits()).hasSize(1);
    }
  }

  @Test
  void aStoredUrlIsCheckedAgainAtDelivery_afterTheAllowedNetworksNarrowed() throws IOException {
    try (Receiver rx = new Receiver()) {
      try (Node a = node(OutboundConfig.defaults().allowing("127.0.0.1/32"))) {
        a.call("POST", "/v1/owners", owner("acme", rx.url())).expect(201);
      }
      try (Node b = node(OutboundConfig.defaults())) {
        b.call("POST", "/v1/keys", Node.map("owner_id", "acme")).expect(201);
        assertThat(b.deliver()).isEqualTo(1);
        assertThat(rx.hits()).isEmpty();
        assertThat(lastError(b, "acme")).contains("refused", "loopback").doesNotContain(rx.url());
      }
    }
  }

  @Test
  void dnsRebinding_publicWhenStored_loopbackWhenDelivered_isRefusedAtConnect() throws IOException {
    try (Receiver rx = new Receiver();
        Node n = node(OutboundConfig.defaults())) {
      String url = rx.url().replace("127.0.0.1", "hooks.rebind.example");
      dns.set("hooks.rebind.example", "93.184.215.14");
      n.call("POST", "/v1/owners", owner("acme", url)).expect(201);
      dns.set("hooks.rebind.example", "127.0.0.1");
      n.call("POST", "/v1/keys", Node.map("owner_id", "acme")).expect(201);
      assertThat(n.deliver()).isEqualTo(1);
      assertThat(rx.hits()).isEmpty();
      assertThat(lastError(n, "acme")).contains("hooks.rebind.example", "loopback");
      JsonNode d = firstDelivery(n, "acme");
      assertThat(d.get("status").asText())
          .as("retried later, like any failure")
          .isEqualTo("pending");
    }
  }

  @Test
  void aRedirect_isTheAnswer_andIsNotFollowed() throws IOException {
    AtomicInteger redirected = new AtomicInteger();
    HttpServer hop = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    try (Receiver target = new Receiver()) {
      hop.createContext(
          "/hook",
          ex -> {
            ex.getRequestBody().readAllBytes();
            redirected.incrementAndGet();
            ex.getResponseHeaders().add("Location", target.url());
            ex.sendResponseHeaders(307, -1);
            ex.close();
          });
      hop.start();
      try (Node n = node(OutboundConfig.defaults().allowing("127.0.0.1/32"))) {
        String url = "http://127.0.0.1:" + hop.getAddress().getPort() + "/hook";
        n.call("POST", "/v1/owners", owner("acme", url)).expect(201);
        n.call("POST", "/v1/keys", Node.map("owner_id", "acme")).expect(201);
        n.deliver();
        assertThat(redirected).hasValue(1);
        assertThat(target.hits()).isEmpty();
        assertThat(lastError(n, "acme")).isEqualTo("HTTP 307 (redirects are not followed)");
      }
    } finally {
      hop.stop(0);
    }
  }

  @Test
  void emailChannels_needAnSmtpServer_andOnesStoredEarlierAreInactive() {
    try (Node withSmtp =
        new Node(
            servers,
            dir,
            new ManualClock(),
            NotifyConfig.defaults().withSmtp(SMTP),
            OutboundConfig.defaults())) {
      withSmtp
          .call(
              "POST",
              "/v1/owners",
              Node.map("owner_id", "acme", "emails", List.of("a@acme.example")))
          .expect(201);
      assertThat(
              withSmtp
                  .call("GET", "/v1/owners/acme", null)
                  .expect(200)
                  .get("emails")
                  .get(0)
                  .get("active")
                  .asBoolean())
          .isTrue();
    }
    try (Node n = new Node(servers, dir, new ManualClock())) {
      JsonNode refused =
          n.call(
                  "POST",
                  "/v1/owners",
                  Node.map("owner_id", "globex", "emails", List.of("s@globex.example")))
              .expect(400);
      assertThat(refused.get("error").asText()).isEqualTo("smtp_not_configured");
      assertThat(refused.get("message").asText()).contains("KEYGATE_SMTP_HOST");
      assertThat(
              n.call(
                      "PATCH",
                      "/v1/owners/acme",
                      Node.map("emails", List.of("a@acme.example", "b@acme.example")))
                  .expect(400)
                  .get("error")
                  .asText())
          .isEqualTo("smtp_not_configured");
      JsonNode kept =
          n.call(
                  "PATCH",
                  "/v1/owners/acme",
                  Node.map("name", "Acme", "emails", List.of("A@acme.example")))
              .expect(200);
      assertThat(kept.get("emails")).hasSize(1);
      assertThat(kept.get("emails").get(0).get("active").asBoolean()).isFalse();

      n.call("POST", "/v1/keys", Node.map("owner_id", "acme")).expect(201);
      n.deliver();
      JsonNode d = firstDelivery(n, "acme");
      assertThat(d.get("channel").asText()).isEqualTo("email");
      assertThat(d.get("status").asText()).isEqualTo("cancelled");
      assertThat(d.get("last_error").asText()).contains("SMTP not configured");
    }
  }
}
