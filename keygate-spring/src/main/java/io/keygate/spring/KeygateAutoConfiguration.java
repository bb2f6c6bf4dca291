package io.keygate.spring;

import io.keygate.core.Keygate;
import io.keygate.core.key.KeyFormat;
import jakarta.servlet.Filter;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Spring Boot auto-configuration of Keygate (see {@link KeygateProperties} for the settings):
 *
 * <ul>
 *   <li>a {@link KeyVerifier}: {@link RemoteKeyVerifier} for {@code keygate.mode=remote} (the
 *       default), or in-process over an application-provided {@link Keygate} bean or one opened
 *       from {@code keygate.database-url} and {@code keygate.pepper-file} for {@code embedded};
 *   <li>the {@link KeygateFilter}, registered for {@code keygate.url-patterns};
 *   <li>with Spring MVC, the {@link RequireApiKeyInterceptor} and the {@link KeygateKey} argument
 *       resolver.
 * </ul>
 *
 * <p>Each bean backs off when the application defines its own. Missing or conflicting settings fail
 * the start with a message naming the property. The effective settings are logged with the token
 * masked.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(Filter.class)
@ConditionalOnProperty(prefix = "keygate", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(KeygateProperties.class)
public class KeygateAutoConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(KeygateAutoConfiguration.class);

  /** Remote mode: verify against a Keygate server. */
  @Bean
  @ConditionalOnMissingBean(KeyVerifier.class)
  @ConditionalOnProperty(
      prefix = "keygate",
      name = "mode",
      havingValue = "remote",
      matchIfMissing = true)
  public RemoteKeyVerifier keygateRemoteVerifier(KeygateProperties p) {
    RemoteKeyVerifier.Builder b = RemoteKeyVerifier.builder();
    if (p.getUrl() != null) {
      b.url(p.getUrl());
    }
    if (p.getToken() != null) {
      b.token(p.getToken());
    }
    return b.timeout(p.getTimeout()).cacheTtl(p.getCacheTtl()).build();
  }

  /** The filter, built from the verifier and the rules. */
  @Bean
  @ConditionalOnMissingBean
  public KeygateFilter keygateFilter(
      KeyVerifier verifier, KeygateProperties p, ObjectProvider<Keygate> keygate) {
    List<PathRule> rules = p.getRules().stream().map(KeygateProperties.Rule::toPathRule).toList();
    KeygateFilter.Builder b =
        KeygateFilter.builder()
            .verifier(verifier)
            .rules(rules)
            .trustedProxies(p.getTrustedProxies());
    Keygate kg = keygate.getIfAvailable();
    if (kg != null) {
      KeyFormat format = kg.format();
      b.format(format);
    }
    LOG.info("Keygate filter on {}: {}", p.getUrlPatterns(), p);
    return b.build();
  }

  /** Registers the filter for the configured URL patterns and order. */
  @Bean
  @ConditionalOnMissingBean(name = "keygateFilterRegistration")
  public FilterRegistrationBean<KeygateFilter> keygateFilterRegistration(
      KeygateFilter filter, KeygateProperties p) {
    FilterRegistrationBean<KeygateFilter> r = new FilterRegistrationBean<>(filter);
    r.setName("keygateFilter");
    r.setUrlPatterns(p.getUrlPatterns());
    r.setOrder(p.getFilterOrder());
    return r;
  }

  /** Embedded mode: verify in-process over the Keygate database. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "keygate", name = "mode", havingValue = "embedded")
  static class Embedded {

    /** Opens the store and pepper unless the application supplies its own {@link Keygate}. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(Keygate.class)
    EmbeddedKeygate keygateEmbedded(KeygateProperties p) {
      if (!ClassUtils.isPresent("io.keygate.store.jdbc.JdbcStores", getClass().getClassLoader())) {
        throw new IllegalStateException(
            "keygate.mode=embedded needs io.keygate:keygate-store-jdbc on the classpath"
                + " (or a Keygate bean of your own)");
      }
      return EmbeddedKeygate.open(
          p.getDatabaseUrl(),
          p.getPepperFile(),
          p.getAuditKeyFile(),
          p.getCacheTtl(),
          p.getUsageFlushInterval(),
          p.getPepperRehashDelay());
    }

    /** Exposes the opened core as a bean (used for the key format too). */
    @Bean
    @ConditionalOnMissingBean(Keygate.class)
    Keygate keygate(EmbeddedKeygate embedded) {
      return embedded.keygate();
    }

    /** In-process verification over the {@link Keygate} bean. */
    @Bean
    @ConditionalOnMissingBean(KeyVerifier.class)
    KeyVerifier keygateEmbeddedVerifier(Keygate keygate) {
      return KeyVerifier.embedded(keygate);
    }
  }

  /** Spring MVC: {@link RequireApiKey} enforcement and {@link KeygateKey} arguments. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(WebMvcConfigurer.class)
  static class Mvc implements WebMvcConfigurer {
    @Override
    public void addInterceptors(InterceptorRegistry registry) {
      registry.addInterceptor(new RequireApiKeyInterceptor());
    }

    @Override
    public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
      resolvers.add(new KeygateKeyArgumentResolver());
    }
  }
}
