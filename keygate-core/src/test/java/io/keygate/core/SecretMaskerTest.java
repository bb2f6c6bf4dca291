package io.keygate.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretMaskerTest {
  private static final String PW = "Hunter2-x9";

  @Test
  void mask_keyShapedRuns_keepOnlyTheirPrefix() {
    KeyFormat f = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);
    String live = f.generate(KeyTypes.defaults().byName("live_secret").orElseThrow()).reveal();
    String admin = f.generate(KeyTypes.defaults().byName("admin").orElseThrow()).reveal();
    String custom = "acme_prod_" + "Ab3".repeat(15);
    String masked = SecretMasker.mask("got " + live + " and " + admin + "; custom " + custom + ".");
    assertThat(masked)
        .doesNotContain(live)
        .doesNotContain(admin)
        .doesNotContain(custom)
        .contains("sk_live_****")
        .contains("kg_admin_****")
        .contains("acme_prod_****");
  }

  @Test
  void mask_leavesKeygatesPublicHandles_butNotKeysWithTheSamePrefixShape() {
    String ids =
        "key_wNrsRjUjpE0ccqb5e0pt6Tmc evt_wNrsRjUjpE0ccqb5e0pt6Tmc alr_wNrsRjUjpE0ccqb5e0pt6Tmc"
            + " inc_wNrsRjUjpE0ccqb5e0pt6Tmc dlv_wNrsRjUjpE0ccqb5e0pt6Tmc ch_wNrsRjUjpE0ccqb5e0pt6Tmc"
            + " lease_wNrsRjUjpE0ccqb5e0pt6Tmc";
    assertThat(SecretMasker.mask("cannot update " + ids)).isEqualTo("cannot update " + ids);
    assertThat(SecretMasker.mask("mykey_wNrsRjUjpE0ccqb5e0pt6Tmc"))
        .isEqualTo("mykey_****")
        .as("only the exact handle prefixes are left alone");
  }

  @Test
  void mask_redisAndPostgresPasswords_inEveryUrlForm() {
    List<String> urls =
        List.of(
            "redis://:" + PW + "@redis.internal:6379/0",
            "redis://default:" + PW + "@redis.internal:6379",
            "rediss://user:" + PW + "@redis.internal:6380/1",
            "REDIS://:" + PW + "@h",
            "redis://" + PW + "@redis.internal:6379",
            "redis-sentinel://:" + PW + "@s1:26379,s2:26379/0#mymaster",
            "postgres://keygate:" + PW + "@db.internal:5432/keygate",
            "postgresql://keygate:" + PW + "@db.internal/keygate?sslmode=require",
            "postgres://user%40corp:" + PW + "@db/k",
            "postgres://keygate:p@ss/w" + PW + "@db.internal/keygate",
            "jdbc:postgresql://db/k?user=keygate&password=" + PW,
            "jdbc:postgresql://db/k?password=" + PW + "&ssl=true",
            "jdbc:postgresql://db/k?user=keygate&PASSWORD=" + PW,
            "jdbc:postgresql://db/k?sslpassword=" + PW + "&sslmode=verify-full",
            "jdbc:postgresql://db/k;password=" + PW,
            "user=keygate&Password=" + PW,
            "https://hooks:" + PW + "@example.com/x",
            "https://example.com/hook?token=" + PW + "&x=1",
            "redis%3A%2F%2F%3A" + PW + "%40redis.internal%3A6379",
            "postgres%3a%2f%2fkeygate%3a" + PW + "%40db%2Fk",
            "https://x/cb?next=jdbc%3Apostgresql%3A%2F%2Fdb%2Fk%3Fpassword%3D" + PW,
            "KEYGATE_SMTP_PASSWORD=" + PW,
            "client_secret=" + PW);
    for (String url : urls) {
      String line = "connecting to " + url + " now";
      assertThat(SecretMasker.mask(line))
          .as(url)
          .doesNotContain(PW)
          .doesNotContain("x9")
          .contains("****")
          .startsWith("connecting to ")
          .endsWith(" now");
    }
  }

  @Test
  void mask_keepsUserHostAndPath_soTheTargetStaysRecognisable() {
    assertThat(SecretMasker.mask("redis://:" + PW + "@redis.internal:6379/0"))
        .isEqualTo("redis://:****@redis.internal:6379/0");
    assertThat(SecretMasker.mask("postgres://keygate:" + PW + "@db:5432/keygate"))
        .isEqualTo("postgres://keygate:****@db:5432/keygate");
    assertThat(SecretMasker.mask("jdbc:postgresql://db/k?user=a&password=" + PW + "&ssl=true"))
        .isEqualTo("jdbc:postgresql://db/k?user=a&password=****&ssl=true");
    assertThat(SecretMasker.mask("redis://" + PW + "@h:6379")).isEqualTo("redis://****@h:6379");
    assertThat(
            SecretMasker.mask(
                "primary redis://:"
                    + PW
                    + "@r1:6379, replica rediss://u:"
                    + PW
                    + "@r2 and"
                    + " postgres://u:"
                    + PW
                    + "@db/k"))
        .isEqualTo(
            "primary redis://:****@r1:6379, replica rediss://u:****@r2 and postgres://u:****@db/k");
    assertThat(SecretMasker.mask("https://a:" + PW + "@x/cb?next=redis://:" + PW + "@r"))
        .doesNotContain(PW)
        .endsWith("@r");
  }

  @Test
  void mask_leavesOrdinaryTextAndUrlsWithoutSecretsAlone() {
    for (String plain :
        List.of(
            "GET /v1/keys/key_abc failed after 3 attempts (owner_id=acme)",
            "Keygate listening on http://127.0.0.1:8080",
            "redis://redis.internal:6379/0",
            "postgres://keygate@db.internal:5432/keygate",
            "jdbc:postgresql://db:5432/k?user=keygate&currentSchema=s",
            "no underscore here")) {
      assertThat(SecretMasker.mask(plain)).as(plain).isSameAs(plain);
    }
    assertThat(SecretMasker.mask(null)).isNull();
  }
}
