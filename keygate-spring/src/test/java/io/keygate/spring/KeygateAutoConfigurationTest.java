package io.keygate.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.verify.Outcome;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;

class KeygateAutoConfigurationTest {
  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(KeygateAutoConfiguration.class));

  @Test
  void remoteMode_withUrlAndToken_registersRemoteVerifierAndFilter() {
    runner
        .withPropertyValues(
            "keygate.url=http://127.0.0.1:1",
            "keygate.token=service-token",
            "keygate.cache-ttl=1s",
            "keygate.trusted-proxies=10.0.0.0/8",
            "keygate.url-patterns=/api/*",
            "keygate.rules[0].method=POST",
            "keygate.rules[0].pattern=/api/data/**",
            "keygate.rules[0].scopes=write")
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).hasSingleBean(RemoteKeyVerifier.class);
              assertThat(ctx.getBean(RemoteKeyVerifier.class).endpoint())
                  .hasToString("http://127.0.0.1:1/v1/verify");
              assertThat(ctx.getBean(KeygateFilter.class).rules())
                  .containsExactly(PathRule.parse("POST /api/data/** -> write"));
              FilterRegistrationBean<?> reg =
                  ctx.getBean("keygateFilterRegistration", FilterRegistrationBean.class);
              assertThat(reg.getUrlPatterns()).containsExactly("/api/*");
              assertThat(reg.getOrder()).isEqualTo(KeygateProperties.DEFAULT_FILTER_ORDER);
              assertThat(ctx.getBean(KeygateProperties.class).toString())
                  .contains("token=****")
                  .doesNotContain("service-token");
            });
  }

  @Test
  void remoteMode_withoutUrl_failsNamingTheProperty() {
    runner
        .withPropertyValues("keygate.token=t")
        .run(ctx -> assertThat(ctx).getFailure().rootCause().hasMessageContaining("keygate.url"));
  }

  @Test
  void embeddedMode_withoutDatabaseUrl_failsNamingTheProperty() {
    runner
        .withPropertyValues("keygate.mode=embedded")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("keygate.database-url"));
  }

  @Test
  void badRule_failsTheStart() {
    runner
        .withPropertyValues(
            "keygate.url=http://127.0.0.1:1",
            "keygate.token=t",
            "keygate.rules[0].pattern=no-slash")
        .run(ctx -> assertThat(ctx).getFailure().rootCause().hasMessageContaining("no-slash"));
  }

  @Test
  void applicationVerifier_replacesTheDefault() {
    runner
        .withBean(KeyVerifier.class, () -> r -> KeyVerdict.refused(Outcome.INVALID_KEY))
        .run(
            ctx -> {
              assertThat(ctx).hasNotFailed();
              assertThat(ctx).doesNotHaveBean(RemoteKeyVerifier.class);
              assertThat(ctx).hasSingleBean(KeygateFilter.class);
            });
  }

  @Test
  void disabled_registersNothing() {
    runner
        .withPropertyValues("keygate.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(KeygateFilter.class));
  }
}
