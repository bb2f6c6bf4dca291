package io.keygate.server;

import io.javalin.Javalin;
import io.keygate.core.BackgroundJob;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.key.Pepper;
import io.keygate.core.request.ClientIpResolver;
import io.keygate.core.store.KeyStore;
import io.keygate.envoy.EnvoyAuthz;
import io.keygate.redis.KeygateRedis;
import io.keygate.server.config.ClusterConfig;
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
import io.keygate.server.http.HttpApi;
import io.keygate.server.http.MonitorApi;
import io.keygate.server.http.ReadDeadlineGuard;
import io.keygate.server.http.TlsConnector;
import io.keygate.server.monitor.Monitoring;
import io.keygate.server.outbound.OutboundHttp;
import io.keygate.store.jdbc.ChangeFeed;
import io.keygate.store.jdbc.JdbcStores;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.SocketAddressResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Keygate node: store, core, HTTP API and background workers (batched usage flush,
 * rotation sweep, expiry notices, anomaly checks on one thread; outbox delivery on a pool of its
 * own, so that a slow webhook never delays the others; the database's key change feed followed on a
 * thread of its own, see {@link ChangeWatcher}).
 *
 * <pre>{@code
 * try (KeygateServer s = KeygateServer.builder().config(ServerConfig.defaults()).build()) {
 *   s.start();
 * }
 * }</pre>
 *
 * <p>This class is the node's lifecycle (start, background jobs, close); {@link ServerWiring}
 * builds its parts from the configuration. {@link #close()} stops accepting requests, flushes
 * pending usage and closes the store. Thread-safe.
 */
public final class KeygateServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeygateServer.class);

  private final ServerConfig config;
  private final Keygate keygate;
  private final Monitoring monitoring;
  private final Javalin app;
  private final ScheduledExecutorService workers;
  private final OutboundHttp outbound;
  private volatile boolean started;
  private final TlsConfig tls;
  private final KeygateRedis redis;
  private final ClusterJobs clusterWide;
  private final SecretsWatcher secretsWatcher;
  private final Duration secretsInterval;
  private final ChangeWatcher changes;
  private ScheduledExecutorService secretsThread;
  private final EnvoyAuthz envoy;
  private final String grpcHost;

  /**
   * What a node runs beside its HTTP API, all made by the builder before the server.
   *
   * @param clusterWide the job leases of once-per-cluster background jobs
   * @param changes follows the database's key change feed (a JDBC store), or {@code null}
   * @param secretsWatcher reloads rotated secret files
   * @param secretsInterval how often it checks ({@link Duration#ZERO}: never)
   * @param redis the cluster's Redis, or {@code null}; closed with the server
   */
  record Background(
      ClusterJobs clusterWide,
      ChangeWatcher changes,
      SecretsWatcher secretsWatcher,
      Duration secretsInterval,
      KeygateRedis redis) {}

  KeygateServer(
      ServerConfig config,
      Keygate keygate,
      Monitoring monitoring,
      LeakConfig leaks,
      TlsConfig tls,
      OutboundHttp outbound,
      ReadDeadlines deadlines,
      GrpcConfig grpc,
      Background background) {
    this.config = config;
    this.clusterWide = background.clusterWide();
    this.changes = background.changes();
    this.secretsWatcher = background.secretsWatcher();
    this.secretsInterval = background.secretsInterval();
    this.redis = background.redis();
    this.tls = tls;
    this.keygate = keygate;
    this.monitoring = monitoring;
    this.outbound = outbound;
    this.app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              c.http.maxRequestSize = config.maxBodyBytes();
              c.jetty.host = config.host();
              c.jetty.port = config.port();
              HttpApi.install(c, keygate, config, leaks, outbound);
              ReadDeadlineGuard.install(c, deadlines);
              MonitorApi.install(c, monitoring, config.trustedProxies());
              HttpApi.headLikeGet(c);
              if (tls.enabled()) {
                TlsConnector.install(c, tls, config.host(), config.port());
              }
            });
    this.grpcHost = grpc.effectiveHost(config.host());
    this.envoy =
        grpc.enabled()
            ? EnvoyAuthz.builder()
                .keygate(keygate)
                .clientIp(new ClientIpResolver(config.trustedProxies()))
                .host(grpcHost)
                .port(grpc.port())
                .build()
            : null;
    this.workers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keygate-workers");
              t.setDaemon(true);
              return t;
            });
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the store a configuration names (SQLite in the data dir unless a URL is given), for the
   * CLI: with the default {@link
   * io.keygate.server.config.ClusterConfig#DEFAULT_DATABASE_CONNECT_TIMEOUT}, the audit key {@code
   * secrets} names (generated on first use, like the pepper) and this data directory's audit
   * witness.
   */
  public static KeyStore openStore(ServerConfig config, SecretsConfig secrets) {
    return openStore(
        config,
        ClusterConfig.defaults(),
        NodeSecrets.auditKeys(config, secrets, true),
        NodeSecrets.witness(config));
  }

  /**
   * Opens the store a configuration names; an external database gets {@code cluster}'s connection
   * timeout, so that a request waits at most that long for a database that went away. Audit events
   * are linked under {@code auditKeys} (or, when {@code null}, the store may read the audit log but
   * not append to it) and each committed head recorded in {@code witness}.
   */
  public static KeyStore openStore(
      ServerConfig config, ClusterConfig cluster, AuditKeys auditKeys, AuditWitness witness) {
    JdbcStores b =
        config.databaseUrl() == null
            ? JdbcStores.sqlite(config.dataDir())
            : JdbcStores.fromUrl(config.databaseUrl())
                .connectionTimeout(cluster.databaseConnectTimeout());
    if (auditKeys != null) {
      b.auditKeys(auditKeys);
    }
    return b.auditWitness(witness).build();
  }

  /** Loads the peppers a configuration names, generating the file on first start. */
  public static List<Pepper> loadPeppers(ServerConfig config) {
    if (config.pepperEnv() != null) {
      return List.of(PepperFile.fromBase64(config.pepperEnv()));
    }
    return PepperFile.loadOrCreate(config.effectivePepperFile(), new SecureRandom());
  }

  /** Starts serving and the background workers; returns the bound port. */
  public int start() {
    app.start();
    started = true;
    if (envoy != null) {
      int grpcPort = envoy.start();
      LOG.info("Envoy ext_authz (gRPC) listening on {}:{}", grpcHost, grpcPort);
    }
    keygate.backgroundJobs().forEach(this::schedule);
    monitoring.backgroundJobs(config.usageFlushInterval()).forEach(this::schedule);
    monitoring.startDelivery();
    if (changes != null) {
      changes.start();
    }
    if (!secretsInterval.isZero() && !secretsWatcher.isEmpty()) {
      // its own thread: a slow store call on the workers must not delay a pepper reload
      secretsThread =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "keygate-secrets");
                t.setDaemon(true);
                return t;
              });
      long every = secretsInterval.toMillis();
      secretsThread.scheduleWithFixedDelay(
          secretsWatcher::check, every, every, TimeUnit.MILLISECONDS);
    }
    LOG.info(
        "Keygate listening on {}://{}:{}",
        tls.enabled() ? "https" : "http",
        config.host(),
        app.port());
    return app.port();
  }

  /** Schedules one background job on the workers thread (see {@link BackgroundJob}). */
  private void schedule(BackgroundJob job) {
    workers.scheduleWithFixedDelay(
        () -> runQuietly(job),
        job.initialDelay().toMillis(),
        job.period().toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * One run: only on the lease holder for a once-per-cluster job; a fault is logged, not thrown.
   */
  private void runQuietly(BackgroundJob job) {
    try {
      if (job.oncePerCluster() && !clusterWide.holds(job.name())) {
        return; // another node runs it this time
      }
      job.task().run();
    } catch (RuntimeException e) {
      LOG.warn("background job {} failed, will retry: {}", job.name(), e.getMessage());
    }
  }

  /**
   * The once-per-cluster guard for background jobs: with a JDBC store a job runs only on the node
   * holding its lease ({@link io.keygate.store.jdbc.JobLeases}); with any other store, always.
   */
  public ClusterJobs clusterJobs() {
    return clusterWide;
  }

  /**
   * What follows the database's change feed into this node's cache (with a JDBC store), else {@code
   * null}.
   */
  public ChangeFeed.Follower changeFollower() {
    return changes == null ? null : changes.follower();
  }

  /** Redis, when {@code KEYGATE_REDIS_URL} enabled it, else {@code null}. */
  public KeygateRedis redis() {
    return redis;
  }

  /**
   * Every HTTP route registered on this node (method + path template), in registration order;
   * before/after filters are not routes and are left out.
   */
  public List<Route> routes() {
    return app.unsafe.internalRouter.allHttpHandlers().stream()
        .map(e -> e.endpoint)
        .filter(e -> e.method.isHttpMethod())
        .map(e -> new Route(e.method.name(), e.path))
        .toList();
  }

  /** The Jetty server under the API (for tests that check its settings). */
  Server jetty() {
    return app.jettyServer().server();
  }

  /** The bound port (after {@link #start()}). */
  public int port() {
    return app.port();
  }

  /**
   * The bound port of the Envoy ext_authz gRPC service (after {@link #start()}), or {@code -1} when
   * {@code KEYGATE_GRPC_PORT} left it off.
   */
  public int grpcPort() {
    return envoy == null ? GrpcConfig.OFF : envoy.port();
  }

  /** The core this server runs. */
  public Keygate keygate() {
    return keygate;
  }

  /** Notifications, metrics and their jobs. */
  public Monitoring monitoring() {
    return monitoring;
  }

  /** The configuration in force. */
  public ServerConfig config() {
    return config;
  }

  @Override
  public void close() {
    workers.shutdownNow();
    if (changes != null) {
      changes.close();
    }
    monitoring.close();
    if (secretsThread != null) {
      secretsThread.shutdownNow();
    }
    if (started) {
      if (envoy != null) {
        envoy.close();
      }
      app.stop();
    }
    try {
      keygate.flushUsage();
    } catch (RuntimeException e) {
      LOG.warn("final usage flush failed: {}", e.getMessage());
    }
    if (redis != null) {
      redis.close();
    }
    outbound.close();
    keygate.store().close();
  }

  /** Fail-fast configuration of a server. */
  public static final class Builder {
    private ServerConfig config = ServerConfig.defaults();
    private Clock clock = Clock.systemUTC();
    private KeyStore store;
    private LeakConfig leaks = LeakConfig.defaults();
    private EnforcementConfig enforcement = EnforcementConfig.defaults();
    private NotifyConfig notifyConfig = NotifyConfig.defaults();
    private RandomGenerator jitter = new SecureRandom();
    private ClusterConfig cluster = ClusterConfig.defaults();
    private TlsConfig tls = TlsConfig.off();
    private SecretsConfig secrets = SecretsConfig.defaults();
    private OutboundConfig outboundConfig = OutboundConfig.defaults();
    private SocketAddressResolver outboundDns;
    private ReadDeadlines readDeadlines = ReadDeadlines.defaults();
    private GrpcConfig grpc = GrpcConfig.off();

    private Builder() {}

    /** The Envoy ext_authz gRPC service (default: {@link GrpcConfig#off()}). */
    public Builder grpc(GrpcConfig g) {
      this.grpc = Objects.requireNonNull(g, "grpc");
      return this;
    }

    /**
     * Outbound calls: the networks webhooks and partner-key URLs may reach beyond public addresses,
     * timeouts, delivery threads (default: {@link OutboundConfig#defaults()}, public only).
     */
    public Builder outbound(OutboundConfig o) {
      this.outboundConfig = Objects.requireNonNull(o, "outbound");
      return this;
    }

    /**
     * How outbound calls resolve host names instead of the system resolver (tests map names to
     * chosen addresses). The address policy applies to whatever it returns.
     */
    public Builder outboundDns(SocketAddressResolver dns) {
      this.outboundDns = Objects.requireNonNull(dns, "dns");
      return this;
    }

    /** Read deadlines of the HTTP server (default: {@link ReadDeadlines#defaults()}). */
    public Builder readDeadlines(ReadDeadlines d) {
      this.readDeadlines = Objects.requireNonNull(d, "readDeadlines");
      return this;
    }

    /**
     * Where the audit key comes from and how the pepper, data-key and audit-key files are re-read
     * after a rotation (default: {@link io.keygate.server.config.SecretsConfig#defaults()}, the
     * audit key in {@code <data dir>/audit-key}, every 5 s).
     */
    public Builder secrets(SecretsConfig s) {
      this.secrets = Objects.requireNonNull(s, "secrets");
      return this;
    }

    /** HTTPS settings (default: off, plain HTTP). */
    public Builder tls(TlsConfig t) {
      this.tls = Objects.requireNonNull(t, "tls");
      return this;
    }

    /** Scale-out settings: Redis, fallbacks, leases (default: a single node without Redis). */
    public Builder cluster(ClusterConfig c) {
      this.cluster = Objects.requireNonNull(c, "cluster");
      return this;
    }

    /** Notification and monitoring settings (default: {@link NotifyConfig#defaults()}). */
    public Builder notifyConfig(NotifyConfig c) {
      this.notifyConfig = Objects.requireNonNull(c, "notifyConfig");
      return this;
    }

    /** Randomness for retry jitter (tests pass a seeded generator). */
    public Builder jitter(RandomGenerator r) {
      this.jitter = Objects.requireNonNull(r, "jitter");
      return this;
    }

    /**
     * Default rate limits and brute-force guard (default: {@link
     * io.keygate.server.config.EnforcementConfig#defaults()}).
     */
    public Builder enforcement(EnforcementConfig e) {
      this.enforcement = Objects.requireNonNull(e, "enforcement");
      return this;
    }

    /** Leak response settings (default: {@link LeakConfig#defaults()}). */
    public Builder leaks(LeakConfig l) {
      this.leaks = Objects.requireNonNull(l, "leaks");
      return this;
    }

    /** The configuration (default: {@link ServerConfig#defaults()}). */
    public Builder config(ServerConfig c) {
      this.config = Objects.requireNonNull(c, "config");
      return this;
    }

    /** The clock (tests inject a manual one). */
    public Builder clock(Clock c) {
      this.clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /**
     * A store to use instead of the one the configuration names; it must link audit events under
     * the audit key the configuration names ({@link JdbcStores#auditKeys}).
     */
    public Builder store(KeyStore s) {
      this.store = Objects.requireNonNull(s, "store");
      return this;
    }

    /**
     * Opens the store, loads the pepper, data key and audit key, checks that they are the ones the
     * database was written with ({@link NodeSecrets#check}) and wires the node (not yet listening;
     * see {@link ServerWiring}).
     *
     * @throws KeygateException.SecretMismatch a secret differs from the other nodes'
     * @throws KeygateException.AuditIntegrity the audit log's head does not verify or contradicts
     *     this node's witness
     */
    public KeygateServer build() {
      return new ServerWiring(
              config,
              clock,
              store,
              leaks,
              enforcement,
              notifyConfig,
              jitter,
              cluster,
              tls,
              secrets,
              outboundConfig,
              outboundDns,
              readDeadlines,
              grpc)
          .build();
    }
  }
}
