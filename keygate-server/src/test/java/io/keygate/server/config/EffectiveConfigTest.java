package io.keygate.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The effective configuration logged at startup names every setting and no secret. */
class EffectiveConfigTest {
  private static final String PW = "Hunter2-pw-9";
  private static final String KEY = "c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWI=";

  @Test
  void describe_namesEverySetting_unsetSecretsAsUnset_setSecretsAsStars() {
    Map<String, String> env = new HashMap<>();
    for (Setting<?> s : Settings.all()) {
      if (s.secret()) {
        env.put(s.variable(), s == Settings.TLS_KEYSTORE_PASSWORD ? PW : KEY);
      }
    }
    Map<String, String> described = Settings.describe(env);
    assertThat(described.keySet())
        .containsExactlyElementsOf(Settings.all().stream().map(Setting::variable).toList());
    Settings.all().stream()
        .filter(Setting::secret)
        .forEach(s -> assertThat(described).containsEntry(s.variable(), "****"));
    assertThat(described.toString()).doesNotContain(PW).doesNotContain(KEY);
    assertThat(Settings.describe(Map.of()))
        .containsEntry("KEYGATE_PEPPER", "unset")
        .containsEntry("KEYGATE_PEPPER_FILE", "unset: <data dir>/pepper")
        .containsEntry("KEYGATE_DATABASE_URL", "unset: SQLite in the data dir")
        .containsEntry("KEYGATE_PORT", "8080")
        .containsEntry("KEYGATE_TRUSTED_PROXIES", "127.0.0.0/8,::1/128")
        .containsEntry("KEYGATE_FORWARD_AUTH", "auto");
  }

  @Test
  void describe_masksDatabaseAndRedisPasswords_inEveryUrlForm_andNamesSecretsOnly() {
    List<String> databases =
        List.of(
            "postgres://keygate:" + PW + "@db.internal:5432/keygate",
            "postgresql://keygate:" + PW + "@db.internal/keygate?sslmode=require",
            "jdbc:postgresql://db/k?user=keygate&password=" + PW,
            "jdbc:postgresql://db/k?USER=keygate&Password=" + PW + "&sslpassword=" + PW);
    List<String> redis =
        List.of(
            "redis://:" + PW + "@redis.internal:6379/0",
            "redis://default:" + PW + "@redis.internal:6379",
            "rediss://:" + PW + "@redis.internal:6380",
            "redis://" + PW + "@redis.internal:6379");
    for (int i = 0; i < databases.size(); i++) {
      Map<String, String> env =
          Map.of(
              "KEYGATE_DATABASE_URL", databases.get(i),
              "KEYGATE_REDIS_URL", redis.get(i),
              "KEYGATE_PEPPER", KEY,
              "KEYGATE_DATA_KEY", KEY,
              "KEYGATE_AUDIT_KEY", KEY,
              "KEYGATE_SMTP_HOST", "smtp.example.com",
              "KEYGATE_SMTP_PASSWORD", PW,
              "KEYGATE_METRICS_TOKEN", PW,
              "KEYGATE_TLS_KEYSTORE_PASSWORD", PW);
      String described = Settings.describe(env).toString();
      assertThat(described)
          .as(databases.get(i) + " / " + redis.get(i))
          .doesNotContain(PW)
          .doesNotContain(KEY)
          .contains("db")
          .contains("redis.internal")
          .contains("KEYGATE_AUDIT_KEY=****")
          .contains("KEYGATE_PEPPER=****")
          .contains("KEYGATE_SMTP_HOST=smtp.example.com");
    }
    assertThat(SecretsConfig.defaults().effectiveAuditKeyFile(Path.of("/var/lib/keygate")))
        .isEqualTo(Path.of("/var/lib/keygate/audit-key"));
    assertThat(SecretsConfig.witnessFile(Path.of("/var/lib/keygate")))
        .isEqualTo(Path.of("/var/lib/keygate/audit-head"));
  }
}
