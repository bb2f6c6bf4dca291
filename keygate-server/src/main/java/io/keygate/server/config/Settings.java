package io.keygate.server.config;

import static java.time.temporal.ChronoUnit.DAYS;
import static java.time.temporal.ChronoUnit.HOURS;
import static java.time.temporal.ChronoUnit.MILLIS;
import static java.time.temporal.ChronoUnit.MINUTES;
import static java.time.temporal.ChronoUnit.SECONDS;

import io.keygate.core.Keygate;
import io.keygate.core.leaks.LeakPolicy;
import io.keygate.core.lifecycle.KeyPolicy;
import io.keygate.core.model.RateLimit;
import io.keygate.core.verify.BruteForceGuard;
import io.keygate.redis.KeygateRedis;
import io.keygate.redis.RateLimitFallback;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The table of every {@code KEYGATE_*} setting, in README order. The config records ({@link
 * ServerConfig}, {@link ClusterConfig}, {@link NotifyConfig}, …) read their values from it, {@link
 * #describe} derives the effective-config log line from it, and {@link #markdownTable} the README's
 * settings table (a test keeps the README equal to it).
 *
 * <p><b>Adding a setting</b> is one entry here ({@code add(Setting.integer("KEYGATE_X",
 * Foo.DEFAULT_X, "what it does"))}, with {@code .check(…)} for validation and {@code .asSecret()}
 * for a secret) plus the line that reads it in its record's {@code fromEnv} ({@code X.from(env)});
 * then regenerate the README table (see {@code SettingsTest}).
 *
 * <p><b>Security guarantees.</b> {@link #describe} never contains the value of a setting marked
 * secret, and masks passwords in every other value (URLs).
 */
public final class Settings {
  private static final List<Setting<?>> ALL = new ArrayList<>();

  /** Default server URL of {@code keygate keys …}. */
  public static final String DEFAULT_URL = "http://127.0.0.1:8080";

  // ---- server
  public static final Setting<String> HOST =
      add(
          Setting.text(
                  "KEYGATE_HOST",
                  ServerConfig.DEFAULT_HOST,
                  "interface to bind; `0.0.0.0` exposes it (a loud warning reminds you to add TLS)")
              .flag("--host"));
  public static final Setting<Integer> PORT =
      add(
          Setting.integer("KEYGATE_PORT", ServerConfig.DEFAULT_PORT, "TCP port")
              .check(p -> p >= 0 && p <= 65535, "0..65535")
              .flag("--port"));
  public static final Setting<Path> DATA_DIR =
      add(
          Setting.of(
                  "KEYGATE_DATA_DIR",
                  Path.of(ServerConfig.DEFAULT_DATA_DIR),
                  (v, s) -> Path.of(s),
                  Path::toString,
                  "embedded data: `keygate.db` (SQLite), the generated `pepper`, `data-key` and"
                      + " `audit-key`, and the `audit-head` witness. Created 0700, every file in it"
                      + " 0600 (SQLite's `-wal`/`-shm`/journal too); a group/world-accessible"
                      + " directory gets a startup warning")
              .documentedDefault("`./" + ServerConfig.DEFAULT_DATA_DIR + "`")
              .flag("--data-dir"));
  public static final Setting<String> DATABASE_URL =
      add(
          Setting.text(
                  "KEYGATE_DATABASE_URL",
                  null,
                  "`jdbc:sqlite:…`, `jdbc:postgresql://…` or `postgres://user:pass@host/db`"
                      + " (passwords are masked in the log)")
              .documentedDefault("SQLite in the data dir")
              .flag("--database-url"));
  public static final Setting<Duration> DATABASE_CONNECT_TIMEOUT =
      add(
          Setting.duration(
                  "KEYGATE_DATABASE_CONNECT_TIMEOUT_MS",
                  MILLIS,
                  ClusterConfig.DEFAULT_DATABASE_CONNECT_TIMEOUT,
                  "with PostgreSQL: longest wait for a connection before a request is answered 503"
                      + " `store_unavailable` (HikariCP connection timeout and the driver's"
                      + " connect/login timeout)")
              .check(d -> d.toMillis() >= 250, ">= 250"));
  public static final Setting<Path> PEPPER_FILE =
      add(
          Setting.path(
                  "KEYGATE_PEPPER_FILE",
                  "pepper file (`v<N>:<base64>` per line, highest version mints); created with mode"
                      + " 0600 on first start; refused if group/others can read it; re-read on"
                      + " change (see Rotating secrets)")
              .documentedDefault("`<data dir>/pepper`"));
  public static final Setting<String> PEPPER =
      add(
          Setting.secretText(
              "KEYGATE_PEPPER", "base64 pepper (≥ 32 bytes) given directly instead of a file"));
  public static final Setting<Duration> MAX_TTL =
      add(
          Setting.duration(
                  "KEYGATE_MAX_TTL_DAYS",
                  DAYS,
                  KeyPolicy.DEFAULTS.maxTtl(),
                  "longest key lifetime (`expires_in_days` above it is refused)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> DEFAULT_GRACE =
      add(
          Setting.duration(
                  "KEYGATE_DEFAULT_GRACE_HOURS",
                  HOURS,
                  KeyPolicy.DEFAULTS.defaultGrace(),
                  "rotation grace when none is given")
              .check(d -> !d.isNegative(), ">= 0"));
  public static final Setting<Duration> MAX_GRACE =
      add(
          Setting.duration(
                  "KEYGATE_MAX_GRACE_HOURS",
                  HOURS,
                  KeyPolicy.DEFAULTS.maxGrace(),
                  "longest rotation grace")
              .check(d -> !d.isNegative(), ">= 0"));
  public static final Setting<Long> CACHE_SIZE =
      add(
          Setting.number(
                  "KEYGATE_CACHE_SIZE",
                  Keygate.DEFAULT_CACHE_SIZE,
                  "keys held by the verification cache")
              .check(n -> n >= 0 && n <= Integer.MAX_VALUE, "0.." + Integer.MAX_VALUE));
  public static final Setting<Duration> CACHE_TTL =
      add(
          Setting.duration(
                  "KEYGATE_CACHE_TTL_SECONDS",
                  SECONDS,
                  Keygate.DEFAULT_CACHE_TTL,
                  "lifetime of a cache entry (changes invalidate it at once anyway)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> USAGE_FLUSH =
      add(
          Setting.duration(
                  "KEYGATE_USAGE_FLUSH_MS",
                  MILLIS,
                  ServerConfig.DEFAULT_USAGE_FLUSH,
                  "how often batched `usage_count`/`last_used_at` are written")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> SWEEP =
      add(
          Setting.duration(
                  "KEYGATE_SWEEP_SECONDS",
                  SECONDS,
                  ServerConfig.DEFAULT_SWEEP,
                  "how often ended rotation grace periods are recorded as revocations")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Long> MAX_BODY =
      add(
          Setting.number(
                  "KEYGATE_MAX_BODY_BYTES", ServerConfig.DEFAULT_MAX_BODY, "largest request body")
              .check(n -> n >= 1024 && n <= Integer.MAX_VALUE, "1024.." + Integer.MAX_VALUE));
  public static final Setting<Duration> REQUEST_HEADER_TIMEOUT =
      add(
          Setting.duration(
                  "KEYGATE_REQUEST_HEADER_TIMEOUT_SECONDS",
                  SECONDS,
                  ReadDeadlines.DEFAULT_HEADER,
                  "a request line and headers must arrive within this of their first byte (a new"
                      + " connection: of connecting, TLS handshake included), else the connection"
                      + " is closed; idle time between kept-alive requests does not count (Jetty's"
                      + " 30 s idle timeout applies)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Long> MIN_REQUEST_BYTES_PER_SECOND =
      add(
          Setting.number(
                  "KEYGATE_MIN_REQUEST_BYTES_PER_SECOND",
                  ReadDeadlines.DEFAULT_MIN_BODY_BYTES_PER_SECOND,
                  "a request body arriving more slowly on average is cut off with 408"
                      + " `request_timeout`; `0` turns the check off")
              .check(n -> n >= 0, ">= 0"));
  public static final Setting<List<String>> TRUSTED_PROXIES =
      add(
          Setting.list(
                  "KEYGATE_TRUSTED_PROXIES",
                  ServerConfig.DEFAULT_TRUSTED_PROXIES,
                  "peers whose `X-Forwarded-For`/`X-Real-IP` are believed for the client IP: every"
                      + " `X-Forwarded-For` line is read, right to left, through these proxies; the"
                      + " first hop that is not one is the client; set but empty: no proxy is"
                      + " trusted")
              .blankMeansEmpty());
  public static final Setting<ForwardAuth> FORWARD_AUTH =
      add(
          Setting.of(
              "KEYGATE_FORWARD_AUTH",
              ForwardAuth.DEFAULT,
              (v, s) -> ForwardAuth.parse(s),
              ForwardAuth::configName,
              "the gateway in front of `/v1/authz`: `nginx` (`X-Original-Method`/`-URI`),"
                  + " `forwarded` (Traefik, Caddy: `X-Forwarded-Method`/`-Uri`), `envoy`"
                  + " (ext_authz: path after `/v1/authz`, the request's method) or `auto` (any"
                  + " one; forms that disagree are a 400). Other gateways' headers are ignored —"
                  + " they are the client's ([docs/deploy.md](docs/deploy.md))"));

  public static final Setting<Integer> GRPC_PORT =
      add(
          Setting.optionalInteger(
                  "KEYGATE_GRPC_PORT",
                  "port of the Envoy ext_authz gRPC service"
                      + " (`envoy.service.auth.v3.Authorization/Check`, the outcomes of `/v1/authz`"
                      + " for Envoy's `grpc_service` and Istio's `envoyExtAuthzGrpc`); `0` picks a"
                      + " free port. Plaintext: keep it on a private network"
                      + " ([docs/deploy.md](docs/deploy.md#envoy-over-grpc-ext_authz-grpc_service))")
              .check(p -> p >= 0 && p <= 65535, "0..65535")
              .documentedDefault("off"));
  public static final Setting<String> GRPC_HOST =
      add(
          Setting.text("KEYGATE_GRPC_HOST", null, "interface the gRPC service binds")
              .documentedDefault("`KEYGATE_HOST`"));

  // ---- TLS
  public static final Setting<Path> TLS_CERT =
      add(Setting.path("KEYGATE_TLS_CERT", "PEM certificate chain (leaf first); enables HTTPS"));
  public static final Setting<Path> TLS_KEY =
      add(
          Setting.path(
              "KEYGATE_TLS_KEY",
              "PEM PKCS#8 private key (`BEGIN PRIVATE KEY`), RSA or EC; set with"
                  + " `KEYGATE_TLS_CERT`"));
  public static final Setting<Path> TLS_KEYSTORE =
      add(
          Setting.path(
              "KEYGATE_TLS_KEYSTORE",
              "PKCS12 key store, instead of the PEM pair. With TLS on, only TLS 1.2/1.3 is served"
                  + " (no plain-HTTP listener) and `Strict-Transport-Security` is sent"));
  public static final Setting<String> TLS_KEYSTORE_PASSWORD =
      add(Setting.text("KEYGATE_TLS_KEYSTORE_PASSWORD", "", "the key store's password").asSecret());

  // ---- enforcement
  public static final Setting<Map<String, List<RateLimit>>> DEFAULT_RATE_LIMITS =
      add(
          Setting.of(
                  "KEYGATE_DEFAULT_RATE_LIMITS",
                  Map.<String, List<RateLimit>>of(),
                  (v, s) -> EnforcementConfig.parseDefaultLimits(s),
                  Settings::formatLimits,
                  "limits for keys that have none of their own, by key type:"
                      + " `live_secret=1000/hour,burst:20/second;test_secret=100/minute`"
                      + " (`N/second\\|minute\\|hour\\|day`, optionally `name:`; an unnamed limit"
                      + " is named after its unit)")
              .documentedDefault("none"));
  public static final Setting<Integer> BRUTE_FORCE_THRESHOLD =
      add(
          Setting.integer(
                  "KEYGATE_BRUTE_FORCE_THRESHOLD",
                  BruteForceGuard.Policy.DEFAULT_THRESHOLD,
                  "invalid-key answers per window from one address before it is blocked; `0`"
                      + " turns the guard off")
              .check(n -> n >= 0, ">= 0"));
  public static final Setting<Duration> BRUTE_FORCE_WINDOW =
      add(
          Setting.duration(
                  "KEYGATE_BRUTE_FORCE_WINDOW_SECONDS",
                  SECONDS,
                  BruteForceGuard.Policy.DEFAULT_WINDOW,
                  "counting window")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> BRUTE_FORCE_BLOCK =
      add(
          Setting.duration(
                  "KEYGATE_BRUTE_FORCE_BLOCK_SECONDS",
                  SECONDS,
                  BruteForceGuard.Policy.DEFAULT_BLOCK,
                  "first block; each further block of the same address doubles it")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> BRUTE_FORCE_MAX_BLOCK =
      add(
          Setting.duration(
                  "KEYGATE_BRUTE_FORCE_MAX_BLOCK_SECONDS",
                  SECONDS,
                  BruteForceGuard.Policy.DEFAULT_MAX_BLOCK,
                  "longest block")
              .check(Settings::positive, ">= 1"));

  // ---- leak response
  public static final Setting<Path> GITHUB_KEYS_FILE =
      add(
          Setting.path(
              "KEYGATE_GITHUB_KEYS_FILE",
              "GitHub secret scanning public keys (GitHub's meta format"
                  + " `{\"public_keys\":[{\"key_identifier\",\"key\",\"is_current\"}]}`); enables"
                  + " `POST /v1/secret-scanning/github`"));
  public static final Setting<String> GITHUB_KEYS_URL =
      add(
          Setting.text(
              "KEYGATE_GITHUB_KEYS_URL",
              null,
              "the same fetched over HTTP(S) (e.g."
                  + " `https://api.github.com/meta/public_keys/secret_scanning`), cached, refetched"
                  + " on an unknown key identifier; ignored when `KEYGATE_GITHUB_KEYS_FILE` is set"));
  public static final Setting<List<LeakConfig.Sender>> SECRET_SCANNING_SENDERS =
      add(
          Setting.of(
              "KEYGATE_SECRET_SCANNING_SENDERS",
              null,
              (v, s) -> LeakConfig.parseSenders(s),
              Settings::formatSenders,
              "more partners: `name=IdHeader,SigHeader,file-or-url;…` (e.g."
                  + " `depsdev=GOSST-PUBLIC-KEY-IDENTIFIER,GOSST-PUBLIC-KEY-SIGNATURE,/etc/keygate/depsdev-keys.json`),"
                  + " served at `/v1/secret-scanning/<name>`"));
  public static final Setting<Duration> SECRET_SCANNING_KEYS_TTL =
      add(
          Setting.duration(
                  "KEYGATE_SECRET_SCANNING_KEYS_TTL_SECONDS",
                  SECONDS,
                  LeakConfig.DEFAULT_KEYS_CACHE_TTL,
                  "how long fetched partner keys are trusted before a refetch (stale keys keep"
                      + " working while the refetch runs or fails)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> SECRET_SCANNING_REFETCH =
      add(
          Setting.duration(
                  "KEYGATE_SECRET_SCANNING_REFETCH_SECONDS",
                  SECONDS,
                  LeakConfig.DEFAULT_KEYS_REFETCH,
                  "shortest interval between two fetches of a partner's keys, whatever caused them"
                      + " (unknown key identifier, TTL, a failed or hanging fetch)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Long> SECRET_SCANNING_MAX_BYTES =
      add(
          Setting.number(
                  "KEYGATE_SECRET_SCANNING_MAX_BYTES",
                  LeakConfig.DEFAULT_MAX_PARTNER_BYTES,
                  "largest secret scanning body: a larger `Content-Length` is refused (413) before"
                      + " anything is read, and a body is read no further")
              .check(
                  n -> n >= 1024 && n <= Integer.MAX_VALUE - 8,
                  "1024.." + (Integer.MAX_VALUE - 8)));
  public static final Setting<Long> MAX_REPORT_BYTES =
      add(
          Setting.number(
                  "KEYGATE_MAX_REPORT_BYTES",
                  LeakConfig.DEFAULT_MAX_REPORT_BYTES,
                  "largest leak report (`POST /v1/leaks/reports`)")
              .check(n -> n >= 1024, ">= 1024"));
  public static final Setting<LeakPolicy> LEAK_POLICY =
      add(
          Setting.of(
              "KEYGATE_LEAK_POLICY",
              LeakPolicy.REVOKE,
              (v, s) -> LeakConfig.parsePolicy(s),
              Settings::formatLeakPolicy,
              "per key type: `live_public=rotate:1h,live_secret=revoke` — rotate with a short grace"
                  + " instead of revoking at once"));

  public static final Setting<Boolean> LEAK_REVOKE_TEST_KEYS =
      add(
          Setting.bool(
              "KEYGATE_LEAK_REVOKE_TEST_KEYS",
              LeakPolicy.REVOKE.revokeTestKeys(),
              "`true`: leaked test keys are revoked (or rotated) like live keys instead of only"
                  + " recorded"));
  public static final Setting<Integer> PUBLIC_LEAK_REPORTS_PER_MINUTE =
      add(
          Setting.integer(
                  "KEYGATE_PUBLIC_LEAK_REPORTS_PER_MINUTE",
                  LeakConfig.DEFAULT_PUBLIC_REPORTS_PER_MINUTE,
                  "anonymous `POST /v1/leaks/public` requests per client address (IPv6: per /64)"
                      + " per minute, per node, and 4 times that per IPv4 /24 or IPv6 /48; `0`"
                      + " turns the endpoint off")
              .check(n -> n >= 0 && n <= 10_000, "0..10000"));

  // ---- secrets
  public static final Setting<String> DATA_KEY =
      add(
          Setting.secretText(
              "KEYGATE_DATA_KEY",
              "AES-256-GCM data key (base64, version 1) sealing owner contacts and webhook secrets,"
                  + " given directly instead of a file"));
  public static final Setting<Path> DATA_KEY_FILE =
      add(
          Setting.path(
                  "KEYGATE_DATA_KEY_FILE",
                  "data key file (`v<N>:<base64>` lines), generated 0600 when absent")
              .documentedDefault("`<data dir>/data-key`"));
  public static final Setting<String> AUDIT_KEY =
      add(
          Setting.secretText(
              "KEYGATE_AUDIT_KEY",
              "HMAC-SHA256 audit key (base64, ≥ 32 bytes, version 1) given directly instead of a"
                  + " file"));
  public static final Setting<Path> AUDIT_KEY_FILE =
      add(
          Setting.path(
                  "KEYGATE_AUDIT_KEY_FILE",
                  "HMAC-SHA256 key (`v<N>:<base64>` lines, ≥ 32 bytes, generated 0600) that links"
                      + " the audit chain and seals its head; kept outside the database like the"
                      + " pepper; every node needs the same (see [docs/deploy.md](docs/deploy.md))")
              .documentedDefault("`<data dir>/audit-key`"));
  public static final Setting<Duration> SECRETS_RELOAD =
      add(
          Setting.duration(
                  "KEYGATE_SECRETS_RELOAD_SECONDS",
                  SECONDS,
                  SecretsConfig.DEFAULT_RELOAD_INTERVAL,
                  "how often a running server checks the pepper, data-key and audit-key files and"
                      + " reloads a changed one (after `keygate rotate-pepper` / `rotate-data-key` /"
                      + " `rotate-audit-key`), each first checked against the database's record;"
                      + " `0`: read at startup only")
              .check(d -> !d.isNegative(), ">= 0"));

  // ---- notifications
  public static final Setting<Duration> DELIVERY_INTERVAL =
      add(
          Setting.duration(
                  "KEYGATE_DELIVERY_INTERVAL_MS",
                  MILLIS,
                  NotifyConfig.DEFAULT_DELIVERY_INTERVAL,
                  "how often the outbox delivery worker looks for new events and due retries (a"
                      + " finished attempt starts the next one at once)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Integer> DELIVERY_THREADS =
      add(
          Setting.integer(
                  "KEYGATE_DELIVERY_THREADS",
                  OutboundConfig.DEFAULT_DELIVERY_THREADS,
                  "deliveries attempted at once per node, on threads of their own; each owner has"
                      + " at most one in flight")
              .check(
                  n -> n >= 1 && n <= OutboundConfig.MAX_DELIVERY_THREADS,
                  "1.." + OutboundConfig.MAX_DELIVERY_THREADS));
  public static final Setting<Duration> WEBHOOK_TIMEOUT =
      add(
          Setting.duration(
                  "KEYGATE_WEBHOOK_TIMEOUT_SECONDS",
                  SECONDS,
                  NotifyConfig.DEFAULT_WEBHOOK_TIMEOUT,
                  "bound of one webhook attempt, connecting and reading the answer included (and of"
                      + " each SMTP read/write)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> WEBHOOK_CONNECT_TIMEOUT =
      add(
          Setting.duration(
                  "KEYGATE_WEBHOOK_CONNECT_TIMEOUT_SECONDS",
                  SECONDS,
                  OutboundConfig.DEFAULT_CONNECT_TIMEOUT,
                  "longest wait for DNS and for a connection, per webhook, email or partner-key"
                      + " call")
              .check(Settings::positive, ">= 1"));
  public static final Setting<List<String>> WEBHOOK_ALLOWED_NETWORKS =
      add(
          Setting.list(
                  "KEYGATE_WEBHOOK_ALLOWED_NETWORKS",
                  List.of(),
                  "comma-separated CIDRs outbound calls (webhooks, partner-key URLs) may reach"
                      + " although they are not public, e.g. `10.20.0.0/16,fd00::/8`; by default"
                      + " only public addresses are reached (see Owners and notifications)")
              .documentedDefault("none"));
  public static final Setting<Duration> DELIVERY_RETRY =
      add(
          Setting.duration(
                  "KEYGATE_DELIVERY_RETRY_HOURS",
                  HOURS,
                  NotifyConfig.DEFAULT_RETRY_FOR,
                  "retry window before a delivery is dead-lettered")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> DELIVERY_BACKOFF_BASE =
      add(
          Setting.duration(
                  "KEYGATE_DELIVERY_BACKOFF_BASE_SECONDS",
                  SECONDS,
                  NotifyConfig.DEFAULT_BACKOFF_BASE,
                  "first delay between delivery attempts; exponential backoff (with jitter)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> DELIVERY_BACKOFF_MAX =
      add(
          Setting.duration(
                  "KEYGATE_DELIVERY_BACKOFF_MAX_SECONDS",
                  SECONDS,
                  NotifyConfig.DEFAULT_BACKOFF_MAX,
                  "longest delay between delivery attempts")
              .check(Settings::positive, ">= 1"));
  public static final Setting<String> SMTP_HOST =
      add(
          Setting.text(
              "KEYGATE_SMTP_HOST",
              null,
              "email channel (off while unset: new email addresses are refused with"
                  + " `smtp_not_configured`, stored ones are shown `\"active\": false` and their"
                  + " deliveries cancelled)"));
  public static final Setting<Integer> SMTP_PORT =
      add(
          Setting.integer("KEYGATE_SMTP_PORT", NotifyConfig.Smtp.DEFAULT_PORT, "SMTP port")
              .check(p -> p >= 1 && p <= 65535, "1..65535"));
  public static final Setting<String> SMTP_USER =
      add(Setting.text("KEYGATE_SMTP_USER", null, "SMTP login"));
  public static final Setting<String> SMTP_PASSWORD =
      add(Setting.secretText("KEYGATE_SMTP_PASSWORD", "SMTP password"));
  public static final Setting<String> SMTP_FROM =
      add(
          Setting.text(
              "KEYGATE_SMTP_FROM", NotifyConfig.Smtp.DEFAULT_FROM, "sender address of emails"));
  public static final Setting<Boolean> SMTP_STARTTLS =
      add(
          Setting.bool(
              "KEYGATE_SMTP_STARTTLS",
              NotifyConfig.Smtp.DEFAULT_STARTTLS,
              "`true` or `false`: use STARTTLS when the server offers it"));
  public static final Setting<List<Integer>> EXPIRY_NOTICE_DAYS =
      add(
          Setting.of(
              "KEYGATE_EXPIRY_NOTICE_DAYS",
              NotifyConfig.DEFAULT_EXPIRY_NOTICE_DAYS,
              Settings::parseDays,
              l -> String.join(",", l.stream().map(String::valueOf).toList()),
              "`key.expiring` notices, each once per key"));
  public static final Setting<Duration> EXPIRY_CHECK =
      add(
          Setting.duration(
                  "KEYGATE_EXPIRY_CHECK_SECONDS",
                  SECONDS,
                  NotifyConfig.DEFAULT_EXPIRY_CHECK,
                  "how often expiry is checked")
              .check(Settings::positive, ">= 1"));

  // ---- monitoring
  public static final Setting<Double> ANOMALY_SPIKE_FACTOR =
      add(
          Setting.decimal(
                  "KEYGATE_ANOMALY_SPIKE_FACTOR",
                  NotifyConfig.Anomaly.DEFAULT_SPIKE_FACTOR,
                  "traffic alert when a minute exceeds max(floor, factor × the key's EWMA"
                      + " baseline)")
              .check(f -> f > 1, "> 1"));
  public static final Setting<Long> ANOMALY_SPIKE_FLOOR =
      add(
          Setting.number(
                  "KEYGATE_ANOMALY_SPIKE_FLOOR",
                  NotifyConfig.Anomaly.DEFAULT_SPIKE_FLOOR,
                  "the floor of that traffic alert, in requests per minute")
              .check(n -> n >= 1, ">= 1"));
  public static final Setting<Duration> ANOMALY_LEARNING =
      add(
          Setting.duration(
                  "KEYGATE_ANOMALY_LEARNING_HOURS",
                  HOURS,
                  NotifyConfig.Anomaly.DEFAULT_LEARNING,
                  "new-network alerts (IPv4 /24, IPv6 /48) only after this learning period")
              .check(d -> !d.isNegative(), ">= 0"));
  public static final Setting<Long> ANOMALY_DENIAL_BURST =
      add(
          Setting.number(
                  "KEYGATE_ANOMALY_DENIAL_BURST",
                  NotifyConfig.Anomaly.DEFAULT_DENIAL_BURST,
                  "denials (scope/IP/rate) per key within 60 s that raise an alert")
              .check(n -> n >= 1, ">= 1"));
  public static final Setting<Duration> ALERT_WINDOW =
      add(
          Setting.duration(
                  "KEYGATE_ALERT_WINDOW_MINUTES",
                  MINUTES,
                  NotifyConfig.Anomaly.DEFAULT_ALERT_WINDOW,
                  "alerts are deduplicated per key and type within this window")
              .check(Settings::positive, ">= 1"));
  public static final Setting<String> METRICS_TOKEN =
      add(
          Setting.secretText(
              "KEYGATE_METRICS_TOKEN", "when set, `/metrics` needs `Authorization: Bearer <it>`"));
  public static final Setting<String> LOG_FORMAT =
      add(
          Setting.text(
              "KEYGATE_LOG_FORMAT",
              "text",
              "`text` or `json` (read by the logging configuration; another value logs a warning"
                  + " and uses `text`); in both, key-shaped strings, URL passwords"
                  + " (`redis://:pw@`, `postgres://u:pw@`, …) and"
                  + " `password=`/`secret=`/`token=` values are masked"));
  public static final Setting<String> PLATFORM_NAME =
      add(
          Setting.text(
              "KEYGATE_PLATFORM_NAME",
              NotifyConfig.DEFAULT_PLATFORM_NAME,
              "name shown in the security report"));

  // ---- scale-out
  public static final Setting<String> REDIS_URL =
      add(
          Setting.text(
              "KEYGATE_REDIS_URL",
              null,
              "enables Redis: cross-node invalidation, distributed rate limits, brute-force"
                  + " counters and quotas (see [docs/deploy.md](docs/deploy.md))"));
  public static final Setting<String> REDIS_PREFIX =
      add(Setting.text("KEYGATE_REDIS_PREFIX", KeygateRedis.DEFAULT_PREFIX, "Redis key namespace"));
  public static final Setting<Duration> REDIS_TIMEOUT =
      add(
          Setting.duration(
                  "KEYGATE_REDIS_TIMEOUT_MS",
                  MILLIS,
                  KeygateRedis.DEFAULT_COMMAND_TIMEOUT,
                  "Redis command timeout")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> REDIS_BREAKER =
      add(
          Setting.duration(
                  "KEYGATE_REDIS_BREAKER_SECONDS",
                  SECONDS,
                  KeygateRedis.DEFAULT_BREAKER_OPEN_FOR,
                  "how long Redis is skipped after a failure (a Resilience4j circuit breaker:"
                      + " one failure opens it, then one probe call is let through; its success"
                      + " closes it)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<RateLimitFallback> REDIS_RATE_LIMIT_FALLBACK =
      add(
          Setting.of(
              "KEYGATE_REDIS_RATE_LIMIT_FALLBACK",
              ClusterConfig.DEFAULT_RATE_LIMIT_FALLBACK,
              (v, s) -> RateLimitFallback.parse(s),
              f -> f.name().toLowerCase(Locale.ROOT),
              "Redis down: `local` (per-node buckets of limit/nodes, quotas from each node's"
                  + " ledger) or `closed` (429)"));
  public static final Setting<Integer> CLUSTER_NODES =
      add(
          Setting.integer(
                  "KEYGATE_CLUSTER_NODES",
                  ClusterConfig.DEFAULT_NODES,
                  "node count, for sizing the local fallback buckets")
              .check(n -> n >= 1, ">= 1"));
  public static final Setting<Duration> REDIS_CACHE_TTL =
      add(
          Setting.duration(
                  "KEYGATE_REDIS_CACHE_TTL_SECONDS",
                  SECONDS,
                  ClusterConfig.DEFAULT_REDIS_CACHE_TTL,
                  "local cache TTL when Redis is on (safety net behind pub/sub invalidation)")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> STORE_OUTAGE_GRACE =
      add(
          Setting.duration(
                  "KEYGATE_STORE_OUTAGE_GRACE_SECONDS",
                  SECONDS,
                  ClusterConfig.DEFAULT_STORE_OUTAGE_GRACE,
                  "with PostgreSQL: how long cached keys keep verifying while the database is"
                      + " down")
              .check(Settings::positive, ">= 1"));
  public static final Setting<Duration> JOB_LEASE =
      add(
          Setting.duration(
                  "KEYGATE_JOB_LEASE_SECONDS",
                  SECONDS,
                  ClusterConfig.DEFAULT_JOB_LEASE,
                  "lease of cluster-wide background jobs (one node runs each)")
              .check(d -> d.toSeconds() >= 5, ">= 5"));

  public static final Setting<Duration> CHANGE_POLL =
      add(
          Setting.duration(
                  "KEYGATE_CHANGE_POLL_MS",
                  MILLIS,
                  ClusterConfig.DEFAULT_CHANGE_POLL,
                  "how often a node reads the database's key change feed, which carries"
                      + " revocations and other key changes to every node within 1 s even when"
                      + " Redis is down or not used (see [docs/deploy.md](docs/deploy.md))")
              .check(
                  d ->
                      d.compareTo(ClusterConfig.MIN_CHANGE_POLL) >= 0
                          && d.compareTo(ClusterConfig.MAX_CHANGE_POLL) <= 0,
                  ClusterConfig.MIN_CHANGE_POLL.toMillis()
                      + ".."
                      + ClusterConfig.MAX_CHANGE_POLL.toMillis()));
  public static final Setting<Boolean> CHANGE_LISTEN =
      add(
          Setting.bool(
              "KEYGATE_CHANGE_LISTEN",
              ClusterConfig.DEFAULT_CHANGE_LISTEN,
              "with PostgreSQL: nodes also `LISTEN` for `NOTIFY`s of committed key changes (one"
                  + " extra connection per node) and apply them at once; `false` behind a pooler"
                  + " that does not keep sessions (PgBouncer in transaction mode)"));

  // ---- command-line client
  public static final Setting<String> TOKEN =
      add(Setting.secretText("KEYGATE_TOKEN", "admin token used by `bin/keygate keys …`"));
  public static final Setting<String> URL =
      add(Setting.text("KEYGATE_URL", DEFAULT_URL, "server used by `bin/keygate keys …`"));

  private Settings() {}

  private static <T> Setting<T> add(Setting<T> s) {
    if (ALL.stream().anyMatch(o -> o.variable().equals(s.variable()))) {
      throw new IllegalStateException(s.variable() + " is in the settings table twice");
    }
    ALL.add(s);
    return s;
  }

  /** Every setting, in README order. */
  public static List<Setting<?>> all() {
    return Collections.unmodifiableList(ALL);
  }

  /**
   * The effective configuration in {@code env} (flags already overlaid), for the startup log:
   * variable → value, secrets as {@code ****}, URL passwords masked.
   *
   * @throws IllegalArgumentException naming the first invalid variable
   */
  public static Map<String, String> describe(Map<String, String> env) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Setting<?> s : ALL) {
      m.put(s.variable(), s.describe(env));
    }
    return m;
  }

  /** The README's settings table (markdown), one row per setting. */
  public static String markdownTable() {
    StringBuilder b = new StringBuilder("| Variable | Default | Meaning |\n|---|---|---|\n");
    for (Setting<?> s : ALL) {
      b.append("| `").append(s.variable()).append('`');
      if (s.flag() != null) {
        b.append(" (`").append(s.flag()).append("`)");
      }
      b.append(" | ").append(s.defaultDoc()).append(" | ").append(s.description()).append(" |\n");
    }
    return b.toString();
  }

  /**
   * The one check that a configured duration is positive.
   *
   * @throws IllegalArgumentException {@code "<what> must be positive, was <d>"}
   */
  static void requirePositive(Duration d, String what) {
    if (d == null || !positive(d)) {
      throw new IllegalArgumentException(what + " must be positive, was " + d);
    }
  }

  private static boolean positive(Duration d) {
    return !d.isNegative() && !d.isZero();
  }

  private static List<Integer> parseDays(String variable, String s) {
    List<Integer> out = new ArrayList<>();
    for (String p : ServerConfig.splitList(s)) {
      try {
        out.add(Integer.parseInt(p));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            variable + " must be a comma-separated list of days, was '" + s + "'");
      }
    }
    return out;
  }

  private static String formatLimits(Map<String, List<RateLimit>> limits) {
    List<String> types = new ArrayList<>();
    limits.forEach(
        (t, l) ->
            types.add(
                t
                    + "="
                    + String.join(
                        ",",
                        l.stream()
                            .map(
                                r ->
                                    r.name()
                                        + ":"
                                        + r.requests()
                                        + "/"
                                        + r.window().toSeconds()
                                        + "s")
                            .toList())));
    return String.join(";", types);
  }

  private static String formatSenders(List<LeakConfig.Sender> senders) {
    return String.join(
        ";",
        senders.stream()
            .map(
                s ->
                    s.name()
                        + "="
                        + s.identifierHeader()
                        + ","
                        + s.signatureHeader()
                        + ","
                        + (s.keysFile() != null ? s.keysFile() : s.keysUrl()))
            .toList());
  }

  private static String formatLeakPolicy(LeakPolicy p) {
    if (p.rotateGrace().isEmpty()) {
      return "revoke";
    }
    List<String> out = new ArrayList<>();
    p.rotateGrace().forEach((t, g) -> out.add(t + "=rotate:" + g.toMinutes() + "m"));
    return String.join(",", out);
  }
}
