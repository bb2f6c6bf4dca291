package io.keygate.server;

import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.SecretChecks;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.Pepper;
import io.keygate.core.notify.DataCipher;
import io.keygate.core.store.KeyStore;
import io.keygate.redis.KeygateRedis;
import io.keygate.server.config.AuditKeyFile;
import io.keygate.server.config.ClusterConfig;
import io.keygate.server.config.DataKeyFile;
import io.keygate.server.config.EnforcementConfig;
import io.keygate.server.config.GrpcConfig;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.config.PepperFile;
import io.keygate.server.config.ReadDeadlines;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.config.TlsConfig;
import io.keygate.server.monitor.Monitoring;
import io.keygate.server.outbound.OutboundHttp;
import io.keygate.store.jdbc.JdbcExtensions;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.eclipse.jetty.util.SocketAddressResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@link KeygateServer.Builder} builds a node from its configuration: opens the store, loads
 * and checks the secrets, builds the core, monitoring, Redis, change watcher and secret-file
 * watcher, and hands them to the {@link KeygateServer}, which owns their lifecycle (start,
 * background jobs, close). A failed build closes what it opened. One instance per build; not
 * thread-safe.
 */
record ServerWiring(
    ServerConfig config,
    Clock clock,
    KeyStore store,
    LeakConfig leaks,
    EnforcementConfig enforcement,
    NotifyConfig notifyConfig,
    RandomGenerator jitter,
    ClusterConfig cluster,
    TlsConfig tls,
    SecretsConfig secrets,
    OutboundConfig outboundConfig,
    SocketAddressResolver outboundDns,
    ReadDeadlines readDeadlines,
    GrpcConfig grpc) {
  private static final Logger LOG = LoggerFactory.getLogger(ServerWiring.class);

  /**
   * The pepper, data-key and audit-key files this node reloads when they change (not env-given
   * ones). Each reload is first checked against the database's record ({@link NodeSecrets}): a file
   * holding another node's different version is refused and the versions in force stay.
   */
  private SecretsWatcher watchSecrets(
      Keygate kg,
      DataCipher cipher,
      AuditKeys auditKeys,
      NodeSecrets.Sources sources,
      Runnable pepperReloaded) {
    SecretsWatcher w = new SecretsWatcher();
    KeyStore store = kg.store();
    if (config.pepperEnv() == null) {
      w.watch(
          "pepper",
          config.effectivePepperFile(),
          checkedReload(
              store,
              PepperFile::load,
              next -> SecretChecks.pepper(new KeyHasher(next)),
              sources.pepper(),
              NodeSecrets.PEPPER_REMEDY,
              next -> {
                kg.hasher().reload(next);
                pepperReloaded.run();
                return "versions "
                    + kg.hasher().versions()
                    + ", v"
                    + kg.hasher().currentVersion()
                    + " hashes new keys";
              }));
    }
    if (cipher != null && notifyConfig.dataKeyEnv() == null) {
      w.watch(
          "data key",
          notifyConfig.effectiveDataKeyFile(config.dataDir()),
          checkedReload(
              store,
              DataKeyFile::load,
              next -> SecretChecks.dataKey(new DataCipher(next, SecureRandom::new)),
              sources.dataKey(),
              NodeSecrets.DATA_KEY_REMEDY,
              next -> {
                cipher.reload(next);
                return "versions " + cipher.versions() + ", v" + cipher.currentVersion() + " seals";
              }));
    }
    if (secrets.auditKeyEnv() == null) {
      w.watch(
          "audit key",
          secrets.effectiveAuditKeyFile(config.dataDir()),
          checkedReload(
              store,
              AuditKeyFile::load,
              next -> SecretChecks.auditKey(new AuditKeys(next)),
              sources.auditKey(),
              NodeSecrets.AUDIT_KEY_REMEDY,
              next -> {
                auditKeys.reload(next);
                return "versions "
                    + auditKeys.versions()
                    + ", v"
                    + auditKeys.currentVersion()
                    + " links new audit events";
              }));
    }
    return w;
  }

  /** Reads the versions a secret file holds. */
  @FunctionalInterface
  private interface VersionsFile<V> {
    List<V> load(Path file) throws IOException;
  }

  /**
   * The one reload of a secret file: load its versions, check them against the database's record
   * ({@link SecretChecks#require}: a refusal throws and the versions in force stay), then {@code
   * swapIn} puts them in force and describes them for the log.
   */
  private static <V> SecretsWatcher.Reload checkedReload(
      KeyStore store,
      VersionsFile<V> file,
      Function<List<V>, SecretChecks.Held> held,
      String source,
      String remedy,
      Function<List<V>, String> swapIn) {
    return f -> {
      List<V> next = file.load(f);
      SecretChecks.require(store, held.apply(next), source, remedy);
      return swapIn.apply(next);
    };
  }

  /**
   * The partner-key URLs, checked against the outbound policy: one that points at (or resolves to)
   * a refused address fails the start; one that does not resolve now is checked again on every
   * fetch.
   */
  private void checkPartnerUrls(OutboundHttp http) {
    for (LeakConfig.Sender sender : leaks.senders()) {
      if (sender.keysUrl() == null) {
        continue;
      }
      OutboundHttp.UrlCheck check = http.check(sender.keysUrl());
      if (check instanceof OutboundHttp.Refused r) {
        throw new IllegalArgumentException(
            "the public keys URL of secret scanning sender "
                + sender.name()
                + " "
                + r.reason()
                + "; list its network in KEYGATE_WEBHOOK_ALLOWED_NETWORKS to allow it");
      }
      if (check instanceof OutboundHttp.Unresolved) {
        LOG.warn(
            "the public keys URL of secret scanning sender {} does not resolve now; it is"
                + " checked again on every fetch",
            sender.name());
      }
    }
  }

  /**
   * Opens the store, loads the pepper, data key and audit key, checks that they are the ones the
   * database was written with ({@link NodeSecrets#check}) and wires the node (not yet listening).
   *
   * @throws KeygateException.SecretMismatch a secret differs from the other nodes'
   * @throws KeygateException.AuditIntegrity the audit log's head does not verify or contradicts
   *     this node's witness
   */
  KeygateServer build() {
    List<Pepper> peppers = KeygateServer.loadPeppers(config);
    AuditKeys auditKeys = NodeSecrets.auditKeys(config, secrets, true);
    AuditWitness witness = NodeSecrets.witness(config);
    OutboundHttp outbound =
        OutboundHttp.start(outboundConfig.policy(), outboundConfig.connectTimeout(), outboundDns);
    KeyStore s = null;
    try {
      checkPartnerUrls(outbound);
      s = store != null ? store : KeygateServer.openStore(config, cluster, auditKeys, witness);
      return wire(s, peppers, auditKeys, witness, outbound);
    } catch (RuntimeException e) {
      outbound.close();
      if (store == null && s != null) {
        s.close();
      }
      throw e;
    }
  }

  /** The Redis adapter's breaker state and fallback counts, on the node's Prometheus registry. */
  private static void redisMetrics(KeygateRedis redis, PrometheusMeterRegistry registry) {
    Gauge.builder("keygate_redis_breaker_open", redis, r -> r.breakerOpen() ? 1 : 0)
        .description("1 while Redis is skipped or probed after a failure (fallbacks answer)")
        .register(registry);
    FunctionCounter.builder(
            "keygate_redis_fallbacks", redis, r -> r.rateLimitFallbacks() + r.otherFallbacks())
        .description("Rate-limit, brute-force and quota checks answered by a fallback")
        .register(registry);
  }

  /** Connects to the cluster's Redis (fails fast when it does not answer). */
  private KeygateRedis redis() {
    return KeygateRedis.builder()
        .uri(cluster.redisUrl())
        .prefix(cluster.redisPrefix())
        .commandTimeout(cluster.redisTimeout())
        .breakerOpenFor(cluster.redisBreaker())
        .fallback(cluster.rateLimitFallback())
        .nodes(cluster.nodes())
        .build();
  }

  private KeygateServer wire(
      KeyStore s,
      List<Pepper> peppers,
      AuditKeys auditKeys,
      AuditWitness witness,
      OutboundHttp outbound) {
    PrometheusMeterRegistry registry = Monitoring.newRegistry();
    Monitoring.Listeners listeners = Monitoring.Listeners.of(notifyConfig, registry, s, clock);
    KeygateRedis redis = cluster.redisUrl() == null ? null : redis();
    Keygate kg;
    try {
      Keygate.Builder kb =
          Keygate.builder()
              .store(s)
              .peppers(peppers)
              .clock(clock)
              .policy(config.policy())
              .cache(
                  config.cacheSize(),
                  cluster.effectiveCacheTtl(
                      config.cacheTtl(),
                      config.databaseUrl() != null || cluster.redisUrl() != null))
              .defaultRateLimits(enforcement.defaultRateLimits())
              .bruteForce(enforcement.bruteForce())
              .leakPolicy(leaks.policy())
              .audit(auditKeys, witness)
              .jobPeriods(config.usageFlushInterval(), config.sweepInterval());
      JdbcExtensions.notifyStore(s)
          .ifPresent(
              n ->
                  kb.expiryNotices(
                      n, notifyConfig.expiryNoticeDays(), notifyConfig.expiryCheckInterval()));
      if (redis != null) {
        kb.cluster(redis);
      }
      kg = listeners.addTo(kb).build();
    } catch (RuntimeException e) {
      if (redis != null) {
        redis.close();
      }
      throw e;
    }
    try {
      Monitoring monitoring =
          new Monitoring(
              notifyConfig,
              config,
              kg,
              registry,
              listeners,
              jitter,
              leaks,
              outbound,
              outboundConfig);
      if (redis != null) {
        redisMetrics(redis, registry);
      }
      NodeSecrets.Sources sources = NodeSecrets.Sources.of(config, notifyConfig, secrets);
      NodeSecrets.check(s, kg.hasher(), monitoring.dataCipher(), auditKeys, witness, sources);
      ClusterJobs clusterWide = ClusterJobs.forStore(s, cluster.jobLease());
      String node = nodeLabel(clusterWide.holder());
      monitoring.recordReportSettings(node);
      ChangeWatcher changes =
          ChangeWatcher.of(
                  s,
                  kg.verifier(),
                  cluster.changePoll(),
                  cluster.changeListen(),
                  clusterWide,
                  clock)
              .orElse(null);
      if (changes != null) {
        changes.register(registry);
      }
      KeygateServer server =
          new KeygateServer(
              config,
              kg,
              monitoring,
              leaks,
              tls,
              outbound,
              readDeadlines,
              grpc,
              new KeygateServer.Background(
                  clusterWide,
                  changes,
                  watchSecrets(
                      kg,
                      monitoring.dataCipher(),
                      auditKeys,
                      sources,
                      () -> monitoring.recordReportSettings(node)),
                  secrets.reloadInterval(),
                  redis));
      return server;
    } catch (RuntimeException e) {
      if (redis != null) {
        redis.close();
      }
      throw e;
    }
  }

  /**
   * This node's label in recorded settings: the host name and the node's lease holder id (unique
   * per start), or the host name alone without leases.
   */
  private static String nodeLabel(String holder) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown host";
    }
    return holder == null ? host : host + " (" + holder + ")";
  }
}
