package io.keygate.spring;

import io.keygate.core.Keygate;
import io.keygate.core.SecretMasker;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the Keygate Spring Boot starter, under the {@code keygate} prefix. Every setting with
 * its default:
 *
 * <ul>
 *   <li>{@code keygate.enabled} ({@code true}): register the filter and interceptor at all.
 *   <li>{@code keygate.mode} ({@code remote}): {@code remote} calls a Keygate server's {@code
 *       /v1/verify}; {@code embedded} verifies in-process over the server's database.
 *   <li>{@code keygate.url} (none; required in remote mode): base URL of the Keygate server.
 *   <li>{@code keygate.token} (none; required in remote mode): admin token with the {@code verify}
 *       scope. Never logged.
 *   <li>{@code keygate.timeout} ({@code 2s}): connect and request timeout in remote mode.
 *   <li>{@code keygate.cache-ttl} ({@code 5s}): how long verification results are cached; the bound
 *       on how late a revocation made elsewhere is seen. {@code 0} disables caching.
 *   <li>{@code keygate.database-url} (none; required in embedded mode): the Keygate database,
 *       {@code jdbc:sqlite:/var/lib/keygate/keygate.db} or {@code postgres://…}.
 *   <li>{@code keygate.pepper-file} (none; required in embedded mode): the server's pepper file
 *       ({@code v<N>:<base64>} lines, owner-only permissions).
 *   <li>{@code keygate.audit-key-file} ({@code audit-key} next to the pepper file): embedded mode,
 *       the server's audit key file (same format); embedded mode writes audit events.
 *   <li>{@code keygate.usage-flush-interval} ({@code 5s}): embedded mode, how often batched usage
 *       counts are written.
 *   <li>{@code keygate.pepper-rehash-delay} ({@code 10m}): embedded mode, how long the newest
 *       pepper version must have been loaded before keys under an older one are re-hashed under it
 *       (see {@link io.keygate.core.Keygate.Builder#pepperRehashDelay}).
 *   <li>{@code keygate.trusted-proxies} (empty): IPs/CIDR ranges whose {@code X-Forwarded-For} is
 *       believed.
 *   <li>{@code keygate.rules} (empty): {@code {method, pattern, scopes}} endpoint rules, first
 *       match wins (see {@link PathRule}).
 *   <li>{@code keygate.url-patterns} ({@code /*}): servlet URL patterns the filter is mapped to.
 *   <li>{@code keygate.filter-order} ({@value #DEFAULT_FILTER_ORDER}): filter order, before Spring
 *       Security's chain (-100) by default.
 * </ul>
 *
 * <p>Not thread-safe while being bound; read-only afterwards.
 */
@ConfigurationProperties("keygate")
public class KeygateProperties {
  /** Default filter order: ahead of Spring Security's filter chain. */
  public static final int DEFAULT_FILTER_ORDER = -110;

  /** Where keys are verified. */
  public enum Mode {
    /** Against a Keygate server's {@code /v1/verify}, with a short local cache. */
    REMOTE,
    /** In-process, over the same database and pepper as the Keygate server. */
    EMBEDDED
  }

  /** One endpoint rule as written in properties. */
  public static class Rule {
    private String method = "*";
    private String pattern;
    private List<String> scopes = new ArrayList<>();

    /** HTTP method or {@code *}. */
    public String getMethod() {
      return method;
    }

    /** Sets the HTTP method ({@code *} = any). */
    public void setMethod(String method) {
      this.method = method;
    }

    /** Ant-style path pattern. */
    public String getPattern() {
      return pattern;
    }

    /** Sets the Ant-style path pattern. */
    public void setPattern(String pattern) {
      this.pattern = pattern;
    }

    /** Any one of these scopes is required; empty = any valid key. */
    public List<String> getScopes() {
      return scopes;
    }

    /** Sets the scopes. */
    public void setScopes(List<String> scopes) {
      this.scopes = scopes;
    }

    /** The validated rule. */
    public PathRule toPathRule() {
      return new PathRule(method, pattern, scopes);
    }
  }

  private boolean enabled = true;
  private Mode mode = Mode.REMOTE;
  private URI url;
  private String token;
  private Duration timeout = RemoteKeyVerifier.DEFAULT_TIMEOUT;
  private Duration cacheTtl = RemoteKeyVerifier.DEFAULT_CACHE_TTL;
  private String databaseUrl;
  private Path pepperFile;
  private Path auditKeyFile;
  private Duration usageFlushInterval = Duration.ofSeconds(5);
  private Duration pepperRehashDelay = Keygate.DEFAULT_PEPPER_REHASH_DELAY;
  private List<String> trustedProxies = new ArrayList<>();
  private List<Rule> rules = new ArrayList<>();
  private List<String> urlPatterns = new ArrayList<>(List.of("/*"));
  private int filterOrder = DEFAULT_FILTER_ORDER;

  /** Whether the starter is active. */
  public boolean isEnabled() {
    return enabled;
  }

  /** Turns the starter on or off. */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** Where keys are verified. */
  public Mode getMode() {
    return mode;
  }

  /** Sets where keys are verified. */
  public void setMode(Mode mode) {
    this.mode = mode;
  }

  /** Keygate server base URL (remote mode). */
  public URI getUrl() {
    return url;
  }

  /** Sets the Keygate server base URL. */
  public void setUrl(URI url) {
    this.url = url;
  }

  /** Admin token with the {@code verify} scope (remote mode). */
  public String getToken() {
    return token;
  }

  /** Sets the admin token. */
  public void setToken(String token) {
    this.token = token;
  }

  /** Remote call timeout. */
  public Duration getTimeout() {
    return timeout;
  }

  /** Sets the remote call timeout. */
  public void setTimeout(Duration timeout) {
    this.timeout = timeout;
  }

  /** Result cache TTL: the revocation staleness bound. */
  public Duration getCacheTtl() {
    return cacheTtl;
  }

  /** Sets the result cache TTL ({@code 0} disables caching). */
  public void setCacheTtl(Duration cacheTtl) {
    this.cacheTtl = cacheTtl;
  }

  /** Keygate database URL (embedded mode). */
  public String getDatabaseUrl() {
    return databaseUrl;
  }

  /** Sets the Keygate database URL. */
  public void setDatabaseUrl(String databaseUrl) {
    this.databaseUrl = databaseUrl;
  }

  /** Audit key file (embedded mode); {@code null}: {@code audit-key} next to the pepper file. */
  public Path getAuditKeyFile() {
    return auditKeyFile;
  }

  /** Sets the audit key file. */
  public void setAuditKeyFile(Path auditKeyFile) {
    this.auditKeyFile = auditKeyFile;
  }

  /** Pepper file (embedded mode). */
  public Path getPepperFile() {
    return pepperFile;
  }

  /** Sets the pepper file. */
  public void setPepperFile(Path pepperFile) {
    this.pepperFile = pepperFile;
  }

  /** How often usage is flushed in embedded mode. */
  public Duration getUsageFlushInterval() {
    return usageFlushInterval;
  }

  /** Sets the usage flush interval. */
  public void setUsageFlushInterval(Duration usageFlushInterval) {
    this.usageFlushInterval = usageFlushInterval;
  }

  /** How long a new pepper version waits before keys are re-hashed under it (embedded mode). */
  public Duration getPepperRehashDelay() {
    return pepperRehashDelay;
  }

  /** Sets the pepper re-hash delay. */
  public void setPepperRehashDelay(Duration pepperRehashDelay) {
    this.pepperRehashDelay = pepperRehashDelay;
  }

  /** Trusted proxies (IPs/CIDR ranges). */
  public List<String> getTrustedProxies() {
    return trustedProxies;
  }

  /** Sets the trusted proxies. */
  public void setTrustedProxies(List<String> trustedProxies) {
    this.trustedProxies = trustedProxies;
  }

  /** Endpoint rules in order. */
  public List<Rule> getRules() {
    return rules;
  }

  /** Sets the endpoint rules. */
  public void setRules(List<Rule> rules) {
    this.rules = rules;
  }

  /** Servlet URL patterns of the filter. */
  public List<String> getUrlPatterns() {
    return urlPatterns;
  }

  /** Sets the servlet URL patterns. */
  public void setUrlPatterns(List<String> urlPatterns) {
    this.urlPatterns = urlPatterns;
  }

  /** Filter order. */
  public int getFilterOrder() {
    return filterOrder;
  }

  /** Sets the filter order. */
  public void setFilterOrder(int filterOrder) {
    this.filterOrder = filterOrder;
  }

  /** The effective settings with the token masked, for the startup log. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("mode=").append(mode.name().toLowerCase(Locale.ROOT));
    if (mode == Mode.REMOTE) {
      b.append(", url=")
          .append(SecretMasker.mask(String.valueOf(url)))
          .append(", token=")
          .append(token == null ? "(none)" : "****");
      b.append(", timeout=").append(timeout);
    } else {
      b.append(", database-url=")
          .append(databaseUrl == null ? null : SecretMasker.mask(databaseUrl))
          .append(", pepper-file=")
          .append(pepperFile)
          .append(", audit-key-file=")
          .append(auditKeyFile)
          .append(", pepper-rehash-delay=")
          .append(pepperRehashDelay);
    }
    b.append(", cache-ttl=").append(cacheTtl);
    b.append(", trusted-proxies=").append(trustedProxies);
    b.append(", rules=").append(rules.stream().map(Rule::toPathRule).toList());
    return b.toString();
  }
}
