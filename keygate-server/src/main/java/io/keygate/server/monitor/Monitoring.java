package io.keygate.server.monitor;

import io.keygate.core.BackgroundJob;
import io.keygate.core.Keygate;
import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.MinuteCounters;
import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.monitor.RecordedSettings;
import io.keygate.core.monitor.UsageCount;
import io.keygate.core.notify.DataCipher;
import io.keygate.core.notify.ExpiryNotifier;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.Outcome;
import io.keygate.server.config.DataKeyFile;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.notify.DeliveryWorker;
import io.keygate.server.notify.Owners;
import io.keygate.server.notify.SmtpMailer;
import io.keygate.server.outbound.OutboundHttp;
import io.keygate.server.report.SecurityReport;
import io.keygate.store.jdbc.JdbcExtensions;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's notification and monitoring parts: owners with sealed channels, the outbox delivery
 * worker (on threads of its own), the expiry job, Prometheus metrics and their HTTP routes. Built
 * by {@code KeygateServer}; the notification parts exist only over a JDBC store (the {@link
 * NotifyStore} SPI).
 *
 * <p>Thread-safe.
 */
public final class Monitoring {
  private static final Logger LOG = LoggerFactory.getLogger(Monitoring.class);

  private final NotifyConfig config;
  private final Keygate keygate;
  private final PrometheusMeterRegistry registry;
  private final VerificationStats stats;
  private final NotifyStore notifyStore;
  private final Owners owners;
  private final DataCipher cipher;
  private final DeliveryWorker deliveries;
  private final ExpiryNotifier expiry;
  private final MonitorStore monitorStore;
  private final MinuteCounters minutes;
  private final SecurityReport.Inputs reportInputs;
  private final AnomalyStore anomalyStore;
  private final AnomalyDetector anomalies;

  /**
   * The verification listeners of a node, made before the core so that they are given to its
   * builder: Prometheus meters always, per-minute usage counts with a monitoring store, anomaly
   * detection with an anomaly store ({@code null} without).
   */
  public record Listeners(
      VerificationStats stats, MinuteCounters minutes, AnomalyDetector anomalies) {
    /** The listeners {@code store} supports, meters registered on {@code registry}. */
    public static Listeners of(
        NotifyConfig config, PrometheusMeterRegistry registry, KeyStore store, Clock clock) {
      AnomalyDetector anomalies =
          JdbcExtensions.anomalyStore(store)
              .map(
                  a -> {
                    NotifyConfig.Anomaly s = config.anomaly();
                    ThreadLocal<SecureRandom> rnd = ThreadLocal.withInitial(SecureRandom::new);
                    return new AnomalyDetector(
                        new AnomalyDetector.Settings(
                            s.spikeFactor(),
                            s.spikeFloor(),
                            s.learning(),
                            s.denialBurst(),
                            s.alertWindow()),
                        a,
                        store,
                        clock,
                        rnd::get);
                  })
              .orElse(null);
      MinuteCounters minutes =
          JdbcExtensions.monitorStore(store).isPresent() ? new MinuteCounters() : null;
      return new Listeners(new VerificationStats(registry), minutes, anomalies);
    }

    /** Gives them to the core's builder: meters first, then anomaly detection, then minutes. */
    public Keygate.Builder addTo(Keygate.Builder b) {
      b.verificationListener(stats);
      if (anomalies != null) {
        b.verificationListener(anomalies).canaryListener(anomalies::canary);
      }
      if (minutes != null) {
        b.verificationListener(minutes);
      }
      return b;
    }
  }

  public Monitoring(
      NotifyConfig config,
      ServerConfig server,
      Keygate keygate,
      PrometheusMeterRegistry registry,
      Listeners listeners,
      RandomGenerator jitter,
      LeakConfig leaks,
      OutboundHttp outbound,
      OutboundConfig outboundConfig) {
    this.config = config;
    this.keygate = keygate;
    this.registry = registry;
    this.stats = listeners.stats();
    this.minutes = listeners.minutes();
    this.anomalies = listeners.anomalies();
    this.notifyStore = JdbcExtensions.notifyStore(keygate.store()).orElse(null);
    this.monitorStore = JdbcExtensions.monitorStore(keygate.store()).orElse(null);
    this.reportInputs =
        SecurityReport.Inputs.of(
            config.platformName(),
            keygate.format().types(),
            keygate.keys().policy(),
            List.of(), // filled with the versions in force when a report is made
            server.cacheSize(),
            server.cacheTtl(),
            config.expiryNoticeDays(),
            leaks);
    this.anomalyStore = JdbcExtensions.anomalyStore(keygate.store()).orElse(null);
    if (monitorStore != null) {
      Gauge.builder("keygate_leak_incidents", monitorStore, Monitoring::leaksQuietly)
          .description("Leak incidents recorded (confirmed leaked keys)")
          .register(registry);
    }
    if (notifyStore == null) {
      LOG.warn("the store is not a JDBC store: owners, notifications and expiry notices are off");
      this.owners = null;
      this.cipher = null;
      this.deliveries = null;
      this.expiry = null;
    } else {
      ThreadLocal<SecureRandom> tl = ThreadLocal.withInitial(SecureRandom::new);
      this.cipher =
          new DataCipher(DataKeyFile.load(config, server.dataDir(), new SecureRandom()), tl::get);
      this.owners =
          new Owners(
              notifyStore, cipher, keygate.clock(), tl::get, outbound, config.smtp() != null);
      this.deliveries =
          new DeliveryWorker(
              notifyStore,
              owners,
              config.smtp() == null
                  ? null
                  : new SmtpMailer(
                      config.smtp(), outboundConfig.connectTimeout(), config.webhookTimeout()),
              outbound,
              keygate.clock(),
              jitter,
              tl::get,
              new DeliveryWorker.Settings(
                  config.webhookTimeout(),
                  config.retryFor(),
                  config.backoffBase(),
                  config.backoffMax(),
                  outboundConfig.deliveryThreads()),
              registry);
      this.expiry = keygate.expiryNotifier().orElse(null);
      Gauge.builder("keygate_outbox_backlog", notifyStore, Monitoring::backlogQuietly)
          .description("Outbox events not yet dispatched plus deliveries pending")
          .register(registry);
    }
    Gauge.builder("keygate_cache_hit_ratio", keygate.verifier(), v -> v.cacheHitRatio())
        .description("Verification cache hit ratio since start")
        .register(registry);
    FunctionCounter.builder(
            "keygate_rate_limited",
            stats,
            s -> s.count(Outcome.RATE_LIMITED) + s.count(Outcome.QUOTA_EXCEEDED))
        .description("Verifications refused by a rate limit or quota")
        .register(registry);
  }

  private static double leaksQuietly(MonitorStore s) {
    try {
      return s.leakStats(Instant.EPOCH).total();
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  /** The usage analytics and report store, when the store supports it. */
  public Optional<MonitorStore> monitorStore() {
    return Optional.ofNullable(monitorStore);
  }

  /**
   * Writes the per-minute counts of every completed minute to the store; on a store fault they are
   * kept for the next flush and the fault propagates.
   *
   * @return rows written
   */
  public int flushMinutes() {
    if (monitorStore == null) {
      return 0;
    }
    List<UsageCount> batch = minutes.drainBefore(keygate.clock().instant());
    try {
      monitorStore.addUsage(batch);
    } catch (RuntimeException e) {
      minutes.restore(batch);
      throw e;
    }
    return batch.size();
  }

  /**
   * This node's own periodic work, scheduled by the host beside the core's {@link
   * Keygate#backgroundJobs()}: {@code usage-minutes-flush} (per-minute counts and anomaly state,
   * every {@code flush}) and {@code anomaly-checks} (every second), each only when the store
   * supports it.
   */
  public List<BackgroundJob> backgroundJobs(Duration flush) {
    List<BackgroundJob> jobs = new ArrayList<>();
    if (monitorStore != null || anomalies != null) {
      jobs.add(
          new BackgroundJob(
              "usage-minutes-flush",
              flush,
              flush,
              false,
              () -> {
                flushMinutes();
                if (anomalies != null) {
                  anomalies.flush();
                }
              }));
    }
    if (anomalies != null) {
      jobs.add(
          new BackgroundJob(
              "anomaly-checks",
              Duration.ofSeconds(1),
              Duration.ofSeconds(1),
              false,
              anomalies::tick));
    }
    return List.copyOf(jobs);
  }

  /** Alerts, seen networks and grant use, when the store supports them. */
  public Optional<AnomalyStore> anomalyStore() {
    return Optional.ofNullable(anomalyStore);
  }

  /** The anomaly detector, when the store supports it. */
  public Optional<AnomalyDetector> anomalies() {
    return Optional.ofNullable(anomalies);
  }

  /** The security report now; {@link IllegalStateException} without a JDBC store. */
  public SecurityReport.Report report() {
    if (monitorStore == null) {
      throw new IllegalStateException("the report needs a JDBC store");
    }
    // The pepper versions in force now: a running node reloads them after rotate-pepper.
    SecurityReport.Inputs in = reportInputs.withPepperVersions(keygate.hasher().versions());
    return SecurityReport.compute(in, monitorStore, keygate.clock().instant());
  }

  /**
   * Records this node's report settings, with the pepper versions in force now, in the database
   * ({@link MonitorStore#recordReportSettings}), so that {@code keygate report} without a URL
   * computes this server's report. Called at startup and after the pepper is reloaded. Warns when
   * another node recorded different settings (the last to record wins). A store fault is logged and
   * skipped: the server's own report does not depend on the record.
   *
   * @param node this node's label
   */
  public void recordReportSettings(String node) {
    if (monitorStore == null) {
      return;
    }
    String settings = reportInputs.withPepperVersions(keygate.hasher().versions()).toJson();
    try {
      monitorStore
          .reportSettings()
          .filter(r -> !r.node().equals(node) && !r.settings().equals(settings))
          .ifPresent(
              r ->
                  LOG.warn(
                      "this node's report settings differ from those {} recorded at {}; `keygate"
                          + " report` without --url now follows this node's",
                      r.node(),
                      r.recordedAt()));
      monitorStore.recordReportSettings(
          new RecordedSettings(node, keygate.clock().instant(), settings));
    } catch (RuntimeException e) {
      LOG.warn("could not record the report settings: {}", e.toString());
    }
  }

  private static double backlogQuietly(NotifyStore s) {
    try {
      return s.backlog();
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  /** The cipher sealing owner channels (reloaded on data-key rotation), or null without owners. */
  public DataCipher dataCipher() {
    return cipher;
  }

  /** Settings in force. */
  public NotifyConfig config() {
    return config;
  }

  /** The core. */
  public Keygate keygate() {
    return keygate;
  }

  /** The Prometheus registry. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Verification meters. */
  public VerificationStats stats() {
    return stats;
  }

  /** The notification store, when the store supports it. */
  public Optional<NotifyStore> notifyStore() {
    return Optional.ofNullable(notifyStore);
  }

  /** Owners, when the store supports them. */
  public Optional<Owners> owners() {
    return Optional.ofNullable(owners);
  }

  /** The delivery worker, when the store supports it. */
  public Optional<DeliveryWorker> deliveries() {
    return Optional.ofNullable(deliveries);
  }

  /** The expiry job, when the store supports it. */
  public Optional<ExpiryNotifier> expiry() {
    return Optional.ofNullable(expiry);
  }

  /**
   * Starts delivering outbox events in the background, on the delivery worker's own threads (a slow
   * webhook never delays the node's other jobs).
   */
  public void startDelivery() {
    if (deliveries != null) {
      deliveries.start(config.deliveryInterval());
    }
  }

  /** Stops the delivery worker; attempts in flight are retried when their leases end. */
  public void close() {
    if (deliveries != null) {
      deliveries.close();
    }
  }

  /** A registry for a new node. */
  public static PrometheusMeterRegistry newRegistry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }
}
