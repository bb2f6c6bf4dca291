package io.keygate.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.keygate.core.testing.ManualClock;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.testing.KeygateServerExtension;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Email channel delivered through a real SMTP server (GreenMail on a random port). */
class EmailDeliveryTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String EMAIL = "security@acme.example";

  @TempDir Path dir;
  private GreenMail smtp;

  @BeforeEach
  void startSmtp() {
    smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
  }

  @AfterEach
  void stopSmtp() {
    smtp.stop();
  }

  @Test
  void ownerWithAnEmailChannel_receivesEachEventOnce_overRealSmtp_withoutKeyMaterial()
      throws Exception {
    NotifyConfig cfg =
        NotifyConfig.defaults()
            .withSmtp(
                new NotifyConfig.Smtp(
                    "127.0.0.1",
                    smtp.getSmtp().getPort(),
                    null,
                    null,
                    "keygate@test.example",
                    false));
    try (Node n = new Node(servers, dir, new ManualClock(), cfg, OutboundConfig.defaults())) {
      n.call(
              "POST",
              "/v1/owners",
              Node.map("owner_id", "acme", "name", "Acme", "emails", List.of(EMAIL)))
          .expect(201);
      JsonNode created =
          n.call("POST", "/v1/keys", Node.map("owner_id", "acme", "scopes", List.of("read")))
              .expect(201);
      String keyId = created.get("key_id").asText();
      String rawKey = created.get("api_key").asText();
      n.call("POST", "/v1/keys/" + keyId + "/revoke", Node.map("reason", "test")).expect(200);

      n.deliver();
      n.deliver(); // a second run must not send anything twice

      MimeMessage[] mails = smtp.getReceivedMessages();
      assertThat(mails).hasSize(2);
      String all = "";
      for (MimeMessage m : mails) {
        assertThat(m.getAllRecipients()[0].toString()).isEqualTo(EMAIL);
        assertThat(m.getFrom()[0].toString()).isEqualTo("keygate@test.example");
        all += m.getSubject() + "\n" + GreenMailUtil.getBody(m) + "\n";
      }
      assertThat(all).contains("key.created").contains("key.revoked").contains(keyId);
      assertThat(all).doesNotContain(rawKey);

      JsonNode events = n.call("GET", "/v1/events?owner_id=acme&limit=10", null).expect(200);
      for (JsonNode e : events.get("data")) {
        for (JsonNode d : e.get("deliveries")) {
          assertThat(d.get("status").asText()).isEqualTo("delivered");
        }
      }
    }
  }
}
