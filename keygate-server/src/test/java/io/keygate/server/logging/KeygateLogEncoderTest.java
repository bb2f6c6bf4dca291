package io.keygate.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keygate.core.SecretMasker;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Every key-shaped string is masked in log messages and stack traces, as text and as JSON. */
class KeygateLogEncoderTest {
  private static final KeyFormat FORMAT = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);

  private static String freshKey(String type) {
    KeyType t = KeyTypes.defaults().byName(type).orElseThrow();
    return FORMAT.generate(t).reveal();
  }

  /** A started encoder writing {@code format} ({@code text} or {@code json}). */
  private static KeygateLogEncoder encoder(LoggerContext ctx, String format) {
    KeygateLogEncoder enc = new KeygateLogEncoder();
    enc.setContext(ctx);
    enc.setFormat(format);
    enc.start();
    return enc;
  }

  private static String encode(KeygateLogEncoder enc, LoggingEvent e) {
    return new String(enc.encode(e), StandardCharsets.UTF_8);
  }

  private static LoggingEvent event(LoggerContext ctx, String msg, Throwable t) {
    Logger logger = ctx.getLogger("test");
    return new LoggingEvent("test", logger, Level.WARN, msg, t, null);
  }

  @Test
  void mask_hidesEveryKeyShapedRun_andLeavesOrdinaryTextAlone() {
    String live = freshKey("live_secret");
    String test = freshKey("test_public");
    String custom = "acme_prod_" + "Ab3".repeat(15);
    String masked = SecretMasker.mask("got " + live + " and " + test + "; custom " + custom + ".");
    assertThat(masked)
        .doesNotContain(live)
        .doesNotContain(test)
        .doesNotContain(custom)
        .contains("sk_live_****")
        .contains("pk_test_****")
        .contains("acme_prod_****");
    String plain = "GET /v1/keys/key_abc failed after 3 attempts (owner_id=acme)";
    assertThat(SecretMasker.mask(plain)).isSameAs(plain);
    assertThat(SecretMasker.mask("no underscore here")).isEqualTo("no underscore here");
  }

  @Test
  void textAndJson_maskMessagesAndExceptions() throws Exception {
    String key = freshKey("live_secret");
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    for (String format : new String[] {"text", "json"}) {
      KeygateLogEncoder enc = encoder(ctx, format);
      String out =
          encode(
              enc,
              event(
                  ctx,
                  "verifying " + key,
                  new IllegalStateException("bad key " + key, new RuntimeException(key))));
      assertThat(out).as(format).doesNotContain(key).contains("sk_live_****");
      assertThat(out).contains("IllegalStateException");
      if (format.equals("json")) {
        JsonNode n = new ObjectMapper().readTree(out);
        assertThat(n.get("level").asText()).isEqualTo("WARN");
        assertThat(n.get("message").asText()).isEqualTo("verifying sk_live_****");
        assertThat(n.get("exception").asText()).contains("bad key sk_live_****");
      }
    }
  }

  @Test
  void textAndJson_maskUrlPasswordsAndSecretParameters_inMessagesAndExceptions() throws Exception {
    String pw = "Hunter2x" + Long.toHexString(new SecureRandom().nextLong());
    String[] lines = {
      "redis down: redis://:" + pw + "@redis.internal:6379/0",
      "connecting rediss://default:" + pw + "@cache:6380",
      "store at postgres://keygate:" + pw + "@db.internal:5432/keygate failed",
      "jdbc:postgresql://db/k?user=keygate&password=" + pw + "&ssl=true",
      "jdbc:postgresql://db/k?sslpassword=" + pw,
      "redis%3A%2F%2F%3A" + pw + "%40redis.internal%3A6379"
    };
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    for (String format : new String[] {"text", "json"}) {
      KeygateLogEncoder enc = encoder(ctx, format);
      for (String line : lines) {
        String out = encode(enc, event(ctx, line, new IllegalStateException("cause: " + line)));
        assertThat(out).as(format + ": " + line).doesNotContain(pw).contains("****");
      }
    }
  }
}
