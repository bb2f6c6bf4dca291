package io.keygate.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The effective configuration logged at startup names every setting and no secret. */
class EffectiveConfigTest {
  private static final String PW = "Hunter2-pw-9";
  private static final String KEY = "c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWI=";

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
      ServerConfig server = ServerConfig.fromEnv(env);
      String described =
          server.describe()
              + " "
              + ClusterConfig.fromEnv(env).describe()
              + " "
              + NotifyConfig.fromEnv(env).describe(server.dataDir())
              + " "
              + SecretsConfig.fromEnv(env).describe(server.dataDir())
              + " "
              + TlsConfig.fromEnv(env).describe();
      assertThat(described)
          .as(databases.get(i) + " / " + redis.get(i))
          .doesNotContain(PW)
          .doesNotContain(KEY)
          .contains("db")
          .contains("redis.internal")
          .contains("KEYGATE_AUDIT_KEY (****)");
    }
    assertThat(SecretsConfig.defaults().describe(Path.of("/var/lib/keygate")))
        .contains("/var/lib/keygate/audit-key (****)")
        .contains("/var/lib/keygate/audit-head");
  }
}
