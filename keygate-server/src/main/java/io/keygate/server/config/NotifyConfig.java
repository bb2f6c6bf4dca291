package io.keygate.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Settings of notifications, monitoring and the report, read from {@code KEYGATE_*} variables.
 * Every setting has a default (named constant); values are validated on construction.
 *
 * @param dataKeyEnv base64 data key given directly ({@code KEYGATE_DATA_KEY}, version 1), or {@code
 *     null}
 * @param dataKeyFile data key file ({@code KEYGATE_DATA_KEY_FILE}), or {@code null} for {@code
 *     <data_dir>/data-key}
 * @param deliveryInterval how often the delivery worker looks for due work ({@code
 *     KEYGATE_DELIVERY_INTERVAL_MS}, default 1000)
 * @param webhookTimeout bound of one webhook attempt, connecting and reading the answer included,
 *     and of each SMTP read or write ({@code KEYGATE_WEBHOOK_TIMEOUT_SECONDS}, default 10)
 * @param retryFor how long a delivery is retried before it is dead-lettered ({@code
 *     KEYGATE_DELIVERY_RETRY_HOURS}, default 24)
 * @param backoffBase first retry delay; doubles per attempt ({@code
 *     KEYGATE_DELIVERY_BACKOFF_BASE_SECONDS}, default 10)
 * @param backoffMax longest retry delay ({@code KEYGATE_DELIVERY_BACKOFF_MAX_SECONDS}, default
 *     3600)
 * @param expiryNoticeDays thresholds in days before expiry ({@code KEYGATE_EXPIRY_NOTICE_DAYS},
 *     default 30,7,1), largest first
 * @param expiryCheckInterval how often the expiry job runs ({@code KEYGATE_EXPIRY_CHECK_SECONDS},
 *     default 300)
 * @param smtp SMTP settings, or {@code null} when {@code KEYGATE_SMTP_HOST} is unset (new email
 *     channels are then refused and stored ones inactive)
 * @param metricsToken bearer token {@code /metrics} requires ({@code KEYGATE_METRICS_TOKEN}), or
 *     {@code null} for none
 * @param platformName name shown in the security report ({@code KEYGATE_PLATFORM_NAME}, default
 *     "Keygate")
 * @param anomaly anomaly detection thresholds
 */
public record NotifyConfig(
    String dataKeyEnv,
    Path dataKeyFile,
    Duration deliveryInterval,
    Duration webhookTimeout,
    Duration retryFor,
    Duration backoffBase,
    Duration backoffMax,
    List<Integer> expiryNoticeDays,
    Duration expiryCheckInterval,
    Smtp smtp,
    String metricsToken,
    String platformName,
    Anomaly anomaly) {

  public static final Duration DEFAULT_DELIVERY_INTERVAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_WEBHOOK_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RETRY_FOR = Duration.ofHours(24);
  public static final Duration DEFAULT_BACKOFF_BASE = Duration.ofSeconds(10);
  public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofHours(1);
  public static final List<Integer> DEFAULT_EXPIRY_NOTICE_DAYS = List.of(30, 7, 1);
  public static final Duration DEFAULT_EXPIRY_CHECK = Duration.ofMinutes(5);
  public static final String DEFAULT_PLATFORM_NAME = "Keygate";

  /**
   * SMTP settings.
   *
   * @param host server ({@code KEYGATE_SMTP_HOST})
   * @param port port ({@code KEYGATE_SMTP_PORT}, default 587)
   * @param user login ({@code KEYGATE_SMTP_USER}), or {@code null} for none
   * @param password password ({@code KEYGATE_SMTP_PASSWORD}), or {@code null}
   * @param from sender address ({@code KEYGATE_SMTP_FROM}, default {@code keygate@localhost})
   * @param startTls use STARTTLS when the server offers it ({@code KEYGATE_SMTP_STARTTLS}, default
   *     true)
   */
  public record Smtp(
      String host, int port, String user, String password, String from, boolean startTls) {
    public static final int DEFAULT_PORT = 587;
    public static final String DEFAULT_FROM = "keygate@localhost";
    public static final boolean DEFAULT_STARTTLS = true;

    /** Validates. */
    public Smtp {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(from, "from");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("KEYGATE_SMTP_PORT must be 1..65535, was " + port);
      }
    }

    @Override
    public String toString() {
      return "Smtp[" + host + ":" + port + ", user=" + user + ", password=****, from=" + from + "]";
    }
  }

  /**
   * Anomaly detection thresholds.
   *
   * @param spikeFactor a minute above this multiple of the key's EWMA is a spike ({@code
   *     KEYGATE_ANOMALY_SPIKE_FACTOR}, default 10)
   * @param spikeFloor ...and above this many requests ({@code KEYGATE_ANOMALY_SPIKE_FLOOR}, default
   *     100)
   * @param learning a key's first use starts a learning period during which new networks are not
   *     alerts ({@code KEYGATE_ANOMALY_LEARNING_HOURS}, default 168)
   * @param denialBurst denials of one key in one minute that raise an alert ({@code
   *     KEYGATE_ANOMALY_DENIAL_BURST}, default 20)
   * @param alertWindow alerts of one key and type are deduplicated per window ({@code
   *     KEYGATE_ALERT_WINDOW_MINUTES}, default 60)
   */
  public record Anomaly(
      double spikeFactor,
      long spikeFloor,
      Duration learning,
      long denialBurst,
      Duration alertWindow) {
    public static final double DEFAULT_SPIKE_FACTOR = 10;
    public static final long DEFAULT_SPIKE_FLOOR = 100;
    public static final Duration DEFAULT_LEARNING = Duration.ofDays(7);
    public static final long DEFAULT_DENIAL_BURST = 20;
    public static final Duration DEFAULT_ALERT_WINDOW = Duration.ofHours(1);

    /** Validates. */
    public Anomaly {
      if (!(spikeFactor > 1)) {
        throw new IllegalArgumentException("spike factor must be > 1, was " + spikeFactor);
      }
      if (spikeFloor < 1 || denialBurst < 1) {
        throw new IllegalArgumentException("spike floor and denial burst must be >= 1");
      }
      Objects.requireNonNull(learning, "learning");
      if (alertWindow.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new IllegalArgumentException("alert window must be at least 1 minute");
      }
    }
  }

  /** Validates every setting and sorts the thresholds, largest first. */
  public NotifyConfig {
    Settings.requirePositive(deliveryInterval, "delivery interval");
    Settings.requirePositive(webhookTimeout, "webhook timeout");
    Settings.requirePositive(retryFor, "delivery retry period");
    Settings.requirePositive(backoffBase, "delivery backoff base");
    Settings.requirePositive(backoffMax, "delivery backoff max");
    Settings.requirePositive(expiryCheckInterval, "expiry check interval");
    TreeSet<Integer> days = new TreeSet<>(Comparator.reverseOrder());
    for (Integer d : expiryNoticeDays) {
      if (d == null || d < 1 || d > 3650) {
        throw new IllegalArgumentException(
            "KEYGATE_EXPIRY_NOTICE_DAYS entries must be 1..3650, was " + d);
      }
      days.add(d);
    }
    expiryNoticeDays = List.copyOf(days);
    platformName =
        platformName == null || platformName.isBlank() ? DEFAULT_PLATFORM_NAME : platformName;
    Objects.requireNonNull(anomaly, "anomaly");
  }

  /** All defaults. */
  public static NotifyConfig defaults() {
    return fromEnv(Map.of());
  }

  /** Reads {@code KEYGATE_*} variables through {@link Settings}; unset ones take their defaults. */
  public static NotifyConfig fromEnv(Map<String, String> env) {
    String smtpHost = Settings.SMTP_HOST.from(env);
    Smtp smtp =
        smtpHost == null
            ? null
            : new Smtp(
                smtpHost,
                Settings.SMTP_PORT.from(env),
                Settings.SMTP_USER.from(env),
                Settings.SMTP_PASSWORD.from(env),
                Settings.SMTP_FROM.from(env),
                Settings.SMTP_STARTTLS.from(env));
    return new NotifyConfig(
        Settings.DATA_KEY.from(env),
        Settings.DATA_KEY_FILE.from(env),
        Settings.DELIVERY_INTERVAL.from(env),
        Settings.WEBHOOK_TIMEOUT.from(env),
        Settings.DELIVERY_RETRY.from(env),
        Settings.DELIVERY_BACKOFF_BASE.from(env),
        Settings.DELIVERY_BACKOFF_MAX.from(env),
        Settings.EXPIRY_NOTICE_DAYS.from(env),
        Settings.EXPIRY_CHECK.from(env),
        smtp,
        Settings.METRICS_TOKEN.from(env),
        Settings.PLATFORM_NAME.from(env),
        new Anomaly(
            Settings.ANOMALY_SPIKE_FACTOR.from(env),
            Settings.ANOMALY_SPIKE_FLOOR.from(env),
            Settings.ANOMALY_LEARNING.from(env),
            Settings.ANOMALY_DENIAL_BURST.from(env),
            Settings.ALERT_WINDOW.from(env)));
  }

  /** A copy with other SMTP settings (tests). */
  public NotifyConfig withSmtp(Smtp s) {
    return copy(deliveryInterval, expiryCheckInterval, s, metricsToken, platformName);
  }

  /** A copy with other job intervals (tests pick long ones and run the jobs by hand). */
  public NotifyConfig withIntervals(Duration delivery, Duration expiryCheck) {
    return copy(delivery, expiryCheck, smtp, metricsToken, platformName);
  }

  /** A copy with a metrics token and platform name. */
  public NotifyConfig withReporting(String token, String platform) {
    return copy(deliveryInterval, expiryCheckInterval, smtp, token, platform);
  }

  /** The one copy behind the {@code with*} methods: these settings changed, the others kept. */
  private NotifyConfig copy(
      Duration delivery, Duration expiryCheck, Smtp s, String token, String platform) {
    return new NotifyConfig(
        dataKeyEnv,
        dataKeyFile,
        delivery,
        webhookTimeout,
        retryFor,
        backoffBase,
        backoffMax,
        expiryNoticeDays,
        expiryCheck,
        s,
        token,
        platform,
        anomaly);
  }

  /** The data key file in use for a data directory. */
  public Path effectiveDataKeyFile(Path dataDir) {
    return dataKeyFile != null ? dataKeyFile : dataDir.resolve("data-key");
  }

  /** The largest expiry threshold: keys closer to expiry show {@code expiring_soon}. */
  public int expiringSoonDays() {
    return expiryNoticeDays.isEmpty() ? 0 : expiryNoticeDays.get(0);
  }
}
