package io.keygate.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvTest {
  @Test
  void unsetOrBlank_takesTheDefault_valuesAreTrimmed() {
    Map<String, String> env =
        Map.of("KEYGATE_PORT", "  ", "KEYGATE_SMTP_PORT", " 42 ", "KEYGATE_REDIS_URL", " ");
    assertThat(Settings.PORT.from(env)).isEqualTo(ServerConfig.DEFAULT_PORT);
    assertThat(Settings.CLUSTER_NODES.from(env)).isEqualTo(ClusterConfig.DEFAULT_NODES);
    assertThat(Settings.SMTP_PORT.from(env)).isEqualTo(42);
    assertThat(Settings.REDIS_URL.from(env)).isNull();
    assertThat(Settings.HOST.from(Map.of("KEYGATE_HOST", " 0.0.0.0 "))).isEqualTo("0.0.0.0");
  }

  @Test
  void badNumbers_nameTheVariableAndTheValue() {
    assertThatThrownBy(() -> Settings.PORT.from(Map.of("KEYGATE_PORT", "80a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("KEYGATE_PORT must be an integer, was '80a'");
    assertThatThrownBy(() -> Settings.SMTP_PORT.from(Map.of("KEYGATE_SMTP_PORT", "99999999999")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("KEYGATE_SMTP_PORT is out of range, was '99999999999'");
    assertThatThrownBy(
            () -> Settings.MAX_TTL.from(Map.of("KEYGATE_MAX_TTL_DAYS", "99999999999999999")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("KEYGATE_MAX_TTL_DAYS is out of range, was '99999999999999999'");
    assertThatThrownBy(() -> Settings.MAX_TTL.from(Map.of("KEYGATE_MAX_TTL_DAYS", "1e3")))
        .hasMessage("KEYGATE_MAX_TTL_DAYS must be an integer, was '1e3'");
  }

  @Test
  void valuesOutsideTheirRange_nameTheVariableAndTheBound() {
    assertThatThrownBy(() -> ServerConfig.fromEnv(Map.of("KEYGATE_PORT", "70000")))
        .hasMessage("KEYGATE_PORT must be 0..65535, was '70000'");
    assertThatThrownBy(() -> ClusterConfig.fromEnv(Map.of("KEYGATE_CLUSTER_NODES", "0")))
        .hasMessage("KEYGATE_CLUSTER_NODES must be >= 1, was '0'");
    assertThatThrownBy(() -> NotifyConfig.fromEnv(Map.of("KEYGATE_DELIVERY_INTERVAL_MS", "-5")))
        .hasMessage("KEYGATE_DELIVERY_INTERVAL_MS must be >= 1, was '-5'");
    assertThatThrownBy(
            () -> EnforcementConfig.fromEnv(Map.of("KEYGATE_BRUTE_FORCE_THRESHOLD", "-1")))
        .hasMessage("KEYGATE_BRUTE_FORCE_THRESHOLD must be >= 0, was '-1'");
    assertThatThrownBy(() -> NotifyConfig.fromEnv(Map.of("KEYGATE_ANOMALY_SPIKE_FACTOR", "1")))
        .hasMessage("KEYGATE_ANOMALY_SPIKE_FACTOR must be > 1, was '1'");
    assertThatThrownBy(() -> NotifyConfig.fromEnv(Map.of("KEYGATE_ANOMALY_SPIKE_FACTOR", "NaN")))
        .hasMessage("KEYGATE_ANOMALY_SPIKE_FACTOR must be > 1, was 'NaN'");
    assertThatThrownBy(
            () ->
                NotifyConfig.fromEnv(
                    Map.of("KEYGATE_SMTP_HOST", "mail", "KEYGATE_SMTP_STARTTLS", "no")))
        .hasMessage("KEYGATE_SMTP_STARTTLS must be true or false, was 'no'");
    assertThatThrownBy(() -> ClusterConfig.fromEnv(Map.of("KEYGATE_JOB_LEASE_SECONDS", "4")))
        .hasMessage("KEYGATE_JOB_LEASE_SECONDS must be >= 5, was '4'");
  }

  @Test
  void aSecretsValue_neverAppearsInAnError() {
    Setting<Integer> secretNumber =
        Setting.integer("KEYGATE_TEST_SECRET_NUMBER", 1, "test")
            .check(n -> n > 1, "> 1")
            .asSecret();
    assertThatThrownBy(() -> secretNumber.from(Map.of("KEYGATE_TEST_SECRET_NUMBER", "0")))
        .hasMessage("KEYGATE_TEST_SECRET_NUMBER must be > 1, was '****'");
    assertThatThrownBy(() -> secretNumber.from(Map.of("KEYGATE_TEST_SECRET_NUMBER", "s3cr3t")))
        .hasMessage("KEYGATE_TEST_SECRET_NUMBER is not valid (value not shown: a secret)")
        .hasNoCause();
  }

  @Test
  void trustedProxies_setButEmpty_trustsNone_unsetTrustsLoopback() {
    assertThat(ServerConfig.fromEnv(Map.of()).trustedProxies())
        .isEqualTo(ServerConfig.DEFAULT_TRUSTED_PROXIES);
    assertThat(ServerConfig.fromEnv(Map.of("KEYGATE_TRUSTED_PROXIES", "")).trustedProxies())
        .isEmpty();
    assertThat(
            ServerConfig.fromEnv(Map.of("KEYGATE_TRUSTED_PROXIES", " 10.0.0.0/8, ,::1/128 "))
                .trustedProxies())
        .isEqualTo(List.of("10.0.0.0/8", "::1/128"));
  }

  @Test
  void units_followTheVariablesSuffix() {
    ServerConfig s =
        ServerConfig.fromEnv(
            Map.of(
                "KEYGATE_USAGE_FLUSH_MS", "250",
                "KEYGATE_SWEEP_SECONDS", "7",
                "KEYGATE_MAX_TTL_DAYS", "30",
                "KEYGATE_MAX_GRACE_HOURS", "48"));
    assertThat(s.usageFlushInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(s.sweepInterval()).isEqualTo(Duration.ofSeconds(7));
    assertThat(s.policy().maxTtl()).isEqualTo(Duration.ofDays(30));
    assertThat(s.policy().maxGrace()).isEqualTo(Duration.ofHours(48));
    assertThat(
            NotifyConfig.fromEnv(Map.of("KEYGATE_ALERT_WINDOW_MINUTES", "5"))
                .anomaly()
                .alertWindow())
        .isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void booleans_areTrueOrFalseInAnyCase_anythingElseIsRefused() {
    assertThat(Settings.CHANGE_LISTEN.from(Map.of("KEYGATE_CHANGE_LISTEN", " FALSE "))).isFalse();
    assertThat(Settings.CHANGE_LISTEN.from(Map.of("KEYGATE_CHANGE_LISTEN", "true"))).isTrue();
    assertThat(Settings.CHANGE_LISTEN.from(Map.of("KEYGATE_CHANGE_LISTEN", " "))).isTrue();
    for (String bad : new String[] {"yes", "0", "no", "flase"}) {
      assertThatThrownBy(() -> Settings.CHANGE_LISTEN.from(Map.of("KEYGATE_CHANGE_LISTEN", bad)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("KEYGATE_CHANGE_LISTEN must be true or false, was '" + bad + "'");
    }
  }
}
