package io.keygate.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyType;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.leaks.LeakLocation;
import io.keygate.core.leaks.LeakReport;
import io.keygate.core.leaks.LeakResult;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.AdminScopes;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.model.RateLimit;
import io.keygate.core.monitor.LeakStats;
import io.keygate.core.request.IpAddresses;
import io.keygate.core.verify.RateLimiter;
import io.keygate.scan.Scanner;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.outbound.OutboundHttp;
import io.keygate.store.jdbc.JdbcExtensions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Leak response routes: report intake ({@code POST /v1/leaks/reports}), secret scanning partner
 * endpoints ({@code POST /v1/secret-scanning/{sender}}, GitHub's format), the incident list ({@code
 * GET /v1/leaks}) and canaries ({@code /v1/canaries}). Each handler is one method.
 *
 * <p><b>Security guarantees.</b> No answer echoes a raw key: summaries carry counts and incident
 * ids, partner feedback carries the SHA-256 of each token. A partner request is authenticated by
 * its signature alone, checked over the raw body before anything is parsed, so a bad or missing
 * signature (401) changes nothing. The partner endpoint is open to anyone, so it refuses cheaply:
 * missing signature headers, a declared body over {@link LeakConfig#maxPartnerBytes()} and an
 * unknown signing key are answered before a byte of the body is read, and the body is read no
 * further than that bound and at {@link #PARTNER_MIN_BYTES_PER_SECOND} at least.
 */
final class LeakRoutes {
  private final Keygate kg;
  private final AdminAuth auth;
  private final ClientIp clientIp;
  private final LeakConfig config;
  private final Map<String, PartnerKeys> partners = new HashMap<>();
  private final RateLimiter publicLimiter;
  private final List<RateLimit> publicLimit;
  private final List<RateLimit> publicNetworkLimit;

  /** The report scanner and the imported prefixes it was built for; rebuilt when they change. */
  private record ReportScanner(Set<String> imported, Scanner scanner) {}

  private volatile ReportScanner reportScanner;

  /**
   * A network's public report budget ({@link IpAddresses#networkKey}: an IPv4 /24, an IPv6 /48) in
   * per-address budgets: an attacker who rotates through the /64s of a site or the addresses of a
   * /24 gets this many, not one per address.
   */
  static final int PUBLIC_NETWORK_FACTOR = 4;

  /** Most addresses whose public report budget is remembered at once. */
  static final long MAX_PUBLIC_CLIENTS = 100_000;

  /** How far back {@code GET /v1/leaks} computes its statistics. */
  static final Duration STATS_PERIOD = Duration.ofDays(30);

  /** Longest value looked at in a public report (longer values are not keys). */
  private static final int MAX_PUBLIC_KEY_CHARS = 512;

  /**
   * Secret scanning partners post from data centres: their bodies must keep up this rate after
   * {@link #PARTNER_READ_GRACE}, far above the server-wide minimum.
   */
  static final long PARTNER_MIN_BYTES_PER_SECOND = 64 * 1024;

  static final Duration PARTNER_READ_GRACE = Duration.ofSeconds(5);

  /** Longest key identifier and signature header values looked at. */
  private static final int MAX_ID_CHARS = 256;

  private static final int MAX_SIGNATURE_CHARS = 1024;

  LeakRoutes(
      Keygate kg, AdminAuth auth, ClientIp clientIp, LeakConfig config, OutboundHttp outbound) {
    this.kg = kg;
    this.auth = auth;
    this.clientIp = clientIp;
    this.config = config;
    this.reportScanner = new ReportScanner(Set.of(), scanner(Set.of()));
    this.publicLimiter = new RateLimiter(kg.clock(), MAX_PUBLIC_CLIENTS);
    this.publicLimit =
        config.publicReportsPerMinute() == 0
            ? List.of()
            : List.of(
                new RateLimit(
                    "public_leak_reports", config.publicReportsPerMinute(), Duration.ofMinutes(1)));
    this.publicNetworkLimit =
        config.publicReportsPerMinute() == 0
            ? List.of()
            : List.of(
                new RateLimit(
                    "public_leak_reports_network",
                    (long) config.publicReportsPerMinute() * PUBLIC_NETWORK_FACTOR,
                    Duration.ofMinutes(1)));
    for (LeakConfig.Sender s : config.senders()) {
      if (s.configured()) {
        PartnerKeys keys =
            new PartnerKeys(
                s, config.keysCacheTtl(), config.keysRefetchInterval(), kg.clock(), outbound);
        keys.warmUp();
        partners.put(s.name(), keys);
      }
    }
  }

  void register(JavalinConfig c) {
    c.routes.post("/v1/leaks/reports", this::report);
    c.routes.get("/v1/leaks/formats", this::formats);
    c.routes.post("/v1/leaks/public", this::publicReport);
    c.routes.get("/v1/leaks", this::incidents);
    c.routes.post("/v1/secret-scanning/{sender}", this::secretScanning);
    c.routes.post("/v1/canaries", this::createCanary);
    c.routes.get("/v1/canaries", this::canaries);
  }

  // ------------------------------------------------------------------ views

  record Summary(
      int received,
      int confirmed,
      int revoked,
      int rotated,
      int alreadyRevoked,
      int testKeys,
      int canaries,
      int prevented,
      int repeats,
      int unknown,
      String mode,
      List<String> incidents) {}

  /** {@code GET /v1/leaks/formats}: what a scanner should look for. */
  record Formats(
      List<String> keyPrefixes, List<String> importedPrefixes, String importedBodyPattern) {}

  /** The answer to every accepted public report, whatever it held. */
  record PublicAnswer(int received, String message) {}

  record PublicBody(List<Object> keys, String url) {}

  record Figures(long count, Double meanMillis, Long p95Millis, Double meanMinutes) {
    static Figures of(LeakStats.Figures f) {
      return f.count() == 0
          ? new Figures(0, null, null, null)
          : new Figures(f.count(), f.meanMillis(), f.p95Millis(), f.meanMillis() / 60_000.0);
    }
  }

  record StatsView(
      Instant since,
      long incidents,
      long exposedKeys,
      long preventedKeys,
      long canaryIncidents,
      long testKeys,
      long revoked,
      Figures exposureToRevocation,
      Figures reportToRevocation,
      String basis) {
    static StatsView of(Instant since, LeakStats s) {
      return new StatsView(
          since,
          s.total(),
          s.exposedKeys(),
          s.preventedKeys(),
          s.canaryIncidents(),
          s.testKeys(),
          s.revoked(),
          Figures.of(s.exposureToRevocation()),
          Figures.of(s.reportToRevocation()),
          s.basis());
    }
  }

  record IncidentList(List<IncidentView> data, String nextCursor, StatsView stats) {}

  record Feedback(String tokenHash, String tokenType, String label) {}

  record IncidentView(
      String incidentId,
      String keyId,
      String ownerId,
      String keyType,
      String keyHint,
      String source,
      String url,
      String file,
      Long line,
      String commit,
      String location,
      String exposure,
      boolean liveKey,
      Instant exposedAt,
      Instant foundAt,
      Instant reportedAt,
      Instant revokedAt,
      Long timeToRevocationMs,
      Long reportToRevocationMs,
      String action,
      String reporter) {
    static IncidentView of(LeakIncident i) {
      var l = i.location();
      var ttr = i.timeToRevocation();
      var rtr = i.reportToRevocation();
      return new IncidentView(
          i.incidentId(),
          i.keyId(),
          i.ownerId(),
          i.keyType(),
          i.keyHint(),
          i.source(),
          l.url(),
          l.file(),
          l.line(),
          l.commit(),
          l.describe(),
          i.exposure().wire(),
          i.liveKey(),
          i.exposedAt(),
          i.exposedAt(),
          i.reportedAt(),
          i.revokedAt(),
          ttr == null ? null : ttr.toMillis(),
          rtr == null ? null : rtr.toMillis(),
          i.action().wire(),
          i.reporter());
    }
  }

  record CanaryView(
      String keyId,
      String ownerId,
      String label,
      String hint,
      Instant createdAt,
      String createdBy) {
    static CanaryView of(Canary c) {
      return new CanaryView(
          c.keyId(), c.ownerId(), c.label(), c.hint(), c.createdAt(), c.createdBy());
    }
  }

  record CreatedCanary(
      String apiKey,
      String keyId,
      String ownerId,
      String label,
      String type,
      String hint,
      Instant createdAt,
      String message) {}

  record CanaryBody(String ownerId, String label, String type) {}

  // ------------------------------------------------------------------ handlers

  private void report(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.LEAKS_WRITE);
    String format = LeakReports.format(ctx.queryParam("format"));
    Exposure mode = LeakReports.mode(ctx.queryParam("mode"));
    byte[] body = body(ctx, config.maxReportBytes(), 0);
    if (body.length > 0) {
      Requests.requireMediaType(
          ctx, format.equals("trufflehog") ? Requests.JSON_LINES : Requests.JSON);
    }
    LeakReports.Parsed parsed = LeakReports.parse(format, body, scanner(), mode);
    if (parsed.keys().isEmpty() && parsed.redacted()) {
      throw new ApiError(
          422,
          "no_keys_in_report",
          "the report holds no keys: its secrets are redacted (gitleaks --redact, or a"
              + " redacted TruffleHog/keygate report); run the scanner without redaction and send"
              + " the report over TLS");
    }
    List<LeakResult> results = kg.leaks().respondAll(parsed.keys(), actor);
    HttpApi.json(ctx, 200, summarize(parsed.received(), results, mode));
  }

  /**
   * The report scanner for the imported prefixes now in force (every prefix the import accepts; one
   * stored before that rule would be skipped here and still matched as a whole token by {@link
   * LeakReports}).
   */
  private Scanner scanner() {
    Set<String> now = new TreeSet<>();
    for (String p : kg.verifier().legacyKeys().importedPrefixes()) {
      if (Scanner.scannablePrefix(p)) {
        now.add(p);
      }
    }
    ReportScanner cur = reportScanner;
    if (!cur.imported().equals(now)) {
      cur = new ReportScanner(Set.copyOf(now), scanner(now));
      reportScanner = cur;
    }
    return cur.scanner();
  }

  private Scanner scanner(Set<String> imported) {
    return Scanner.builder()
        .keyTypes(kg.format().types())
        .importedPrefixes(imported)
        .splitLines(false)
        .build();
  }

  /**
   * {@code GET /v1/leaks/formats}. An owner-limited token sees only the imported prefixes its own
   * owner's keys carry: another tenant's migrated prefix (often its product or company name) is not
   * its business, and it could not act on those keys anyway.
   */
  private void formats(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.LEAKS_WRITE);
    Set<String> imported =
        actor.ownerRestriction() == null
            ? kg.verifier().legacyKeys().importedPrefixes()
            : kg.store().importedPrefixes(actor.ownerRestriction());
    HttpApi.json(
        ctx,
        200,
        new Formats(
            kg.format().types().all().stream().map(KeyType::prefix).toList(),
            List.copyOf(new TreeSet<>(imported)),
            "[A-Za-z0-9_-]{16,128}"));
  }

  /**
   * {@code POST /v1/leaks/public}: anyone who found keys reports them, without an account. Refused
   * cheaply (404 when turned off, 429 per client address, 413 from the declared length) before the
   * body is read; every well-formed key is looked up; the answer is the same whether or not any key
   * existed.
   */
  private void publicReport(Context ctx) {
    if (publicLimit.isEmpty()) {
      throw new KeygateException.NotFound("public leak reports are turned off on this server");
    }
    String ip = clientIp.of(ctx);
    admitPublic(IpAddresses.counterKey(ip), publicLimit, "this address");
    admitPublic("net " + IpAddresses.networkKey(ip), publicNetworkLimit, "this network");
    Requests.requireJson(ctx);
    byte[] body = body(ctx, LeakConfig.MAX_PUBLIC_BYTES, PARTNER_MIN_BYTES_PER_SECOND);
    PublicBody b = Json.read(body, PublicBody.class);
    if (b == null || b.keys() == null || b.keys().isEmpty()) {
      throw new KeygateException.InvalidRequest(
          "invalid_keys", "keys must be a non-empty array of strings");
    }
    if (b.keys().size() > LeakConfig.MAX_PUBLIC_KEYS) {
      throw new KeygateException.InvalidRequest(
          "too_many_keys", "at most " + LeakConfig.MAX_PUBLIC_KEYS + " keys per report");
    }
    String url = b.url() == null || b.url().isBlank() ? null : b.url();
    List<LeakReport> reports = new ArrayList<>();
    for (String key : distinctKeys(b.keys())) {
      reports.add(
          new LeakReport(
              new ApiKeySecret(key),
              "public",
              new LeakLocation(url, null, null, null),
              null,
              Exposure.EXPOSED));
    }
    kg.leaks().respondAll(reports, new Actor("public-report", null, ip));
    HttpApi.json(
        ctx,
        202,
        new PublicAnswer(
            b.keys().size(),
            "Thank you. Every valid key in this report was handled by the issuer's leak policy"
                + " (revoked, or recorded and its owner told). The answer is the same whether or"
                + " not a key existed."));
  }

  /**
   * The keys of a public report worth looking up: each value stripped, once, in the order given;
   * values longer than {@link #MAX_PUBLIC_KEY_CHARS} are not keys and are left out. Security
   * guarantee: a report's cost grows with the number of distinct keys, not with its length, so a
   * caller holding one key cannot turn one request into {@link LeakConfig#MAX_PUBLIC_KEYS} locked
   * store transactions by repeating it (in any spacing).
   *
   * @throws KeygateException.InvalidRequest {@code invalid_keys} when a value is not a string
   */
  static Set<String> distinctKeys(List<Object> keys) {
    Set<String> out = new LinkedHashSet<>();
    for (Object k : keys) {
      if (!(k instanceof String key)) {
        throw new KeygateException.InvalidRequest(
            "invalid_keys", "keys must be a non-empty array of strings");
      }
      if (key.length() <= MAX_PUBLIC_KEY_CHARS) {
        out.add(key.strip());
      }
    }
    return out;
  }

  /** Takes one public report from {@code key}'s budget, or answers 429 naming {@code whose}. */
  private void admitPublic(String key, List<RateLimit> limit, String whose) {
    RateLimiter.Decision d = publicLimiter.tryAcquire(key, limit);
    if (!d.admitted()) {
      throw new ApiError(
          429,
          "rate_limited",
          "too many public reports from " + whose + "; retry later",
          Map.of("Retry-After", Long.toString(d.retryAfterSeconds())));
    }
  }

  private Summary summarize(int received, List<LeakResult> results, Exposure mode) {
    int confirmed = 0;
    int revoked = 0;
    int rotated = 0;
    int already = 0;
    int test = 0;
    int canaries = 0;
    int prevented = 0;
    int repeats = 0;
    int unknown = 0;
    List<String> ids = new ArrayList<>();
    Instant now = kg.clock().instant();
    for (LeakResult r : results) {
      if (r.status() == LeakResult.Status.NOT_A_KEY) {
        continue;
      }
      confirmed++;
      switch (r.status()) {
        case UNKNOWN -> unknown++;
        case REPEAT -> {
          repeats++;
          boolean live = kg.format().types().byName(r.key().type()).map(KeyType::live).orElse(true);
          if (!live) {
            test++;
          } else if (r.key().effectiveStatus(now) == KeyStatus.REVOKED) {
            already++;
          }
        }
        case RECORDED -> {
          ids.add(r.incident().incidentId());
          switch (r.incident().action()) {
            case REVOKED -> revoked++;
            case ROTATED -> rotated++;
            case ALREADY_REVOKED, ALREADY_ROTATED -> already++;
            case TEST_KEY_RECORDED -> test++;
            case CANARY_RECORDED -> canaries++;
            case PREVENTED_RECORDED -> prevented++;
          }
        }
        default -> {}
      }
    }
    return new Summary(
        received,
        confirmed,
        revoked,
        rotated,
        already,
        test,
        canaries,
        prevented,
        repeats,
        unknown,
        mode.wire(),
        ids);
  }

  private void secretScanning(Context ctx) {
    String name = ctx.pathParam("sender").toLowerCase(Locale.ROOT);
    LeakConfig.Sender sender = config.sender(name);
    if (sender == null) {
      throw new KeygateException.NotFound("no secret scanning sender '" + safe(name) + "'");
    }
    if (!sender.configured()) {
      throw new ApiError(
          503,
          "secret_scanning_not_configured",
          "no trusted public keys are configured for sender '" + name + "'");
    }
    Requests.requireJson(ctx); // a header check: refused before the body is read
    String id = ctx.header(sender.identifierHeader());
    String sig = ctx.header(sender.signatureHeader());
    if (id == null || id.isBlank() || sig == null || sig.isBlank()) {
      throw new ApiError(
          401,
          "missing_signature",
          "headers "
              + sender.identifierHeader()
              + " and "
              + sender.signatureHeader()
              + " required");
    }
    long max = config.maxPartnerBytes();
    if (ctx.req().getContentLengthLong() > max) {
      throw new ApiError(413, "payload_too_large", "the body exceeds " + max + " bytes");
    }
    PublicKey key = id.length() > MAX_ID_CHARS ? null : partners.get(name).find(id.strip());
    if (key == null) {
      throw new ApiError(401, "unknown_key_identifier", "the signing key is not trusted");
    }
    if (sig.length() > MAX_SIGNATURE_CHARS) {
      throw new ApiError(401, "invalid_signature", "the signature does not match the body");
    }
    byte[] body = body(ctx, max, PARTNER_MIN_BYTES_PER_SECOND);
    if (!PartnerKeys.verify(key, body, sig)) {
      throw new ApiError(401, "invalid_signature", "the signature does not match the body");
    }
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw new KeygateException.InvalidRequest("invalid_json", "the body is not valid JSON");
    }
    if (root == null || !root.isArray()) {
      throw new KeygateException.InvalidRequest(
          "invalid_json", "the body must be a JSON array of {token, type, url, source}");
    }
    List<LeakReport> reports = new ArrayList<>(root.size());
    List<String> types = new ArrayList<>(root.size());
    int i = 0;
    for (JsonNode t : root) {
      JsonNode token = t.get("token");
      if (!t.isObject() || token == null || !token.isTextual()) {
        throw new KeygateException.InvalidRequest(
            "invalid_field", "[" + i + "].token must be a string");
      }
      String source = t.path("source").isTextual() ? t.path("source").asText() : "";
      String label = source.isBlank() ? name : name + ":" + source.strip().toLowerCase(Locale.ROOT);
      reports.add(LeakReports.token(token.asText(), label, t.path("url").asText(null)));
      types.add(t.path("type").isTextual() ? t.path("type").asText() : "");
      i++;
    }
    Actor actor = new Actor("secret-scanning:" + name, null, clientIp.of(ctx));
    List<LeakResult> results = kg.leaks().respondAll(reports, actor);
    List<Feedback> out = new ArrayList<>(results.size());
    for (int n = 0; n < results.size(); n++) {
      out.add(
          new Feedback(
              KeyHasher.sha256Hex(reports.get(n).secret().reveal()),
              types.get(n),
              results.get(n).exists() ? "true_positive" : "false_positive"));
    }
    HttpApi.json(ctx, 200, out);
  }

  private void incidents(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_READ);
    int limit =
        Requests.intParam(ctx, "limit", IncidentQuery.DEFAULT_LIMIT, 1, IncidentQuery.MAX_LIMIT);
    IncidentQuery q =
        new IncidentQuery(
            Requests.param(ctx, "owner_id"),
            Requests.param(ctx, "key_id"),
            limit,
            Requests.param(ctx, "cursor"));
    Page<LeakIncident> page = Requests.page(() -> kg.leaks().incidents(q, actor));
    Instant since = kg.clock().instant().minus(STATS_PERIOD);
    StatsView stats =
        JdbcExtensions.monitorStore(kg.store())
            .map(m -> StatsView.of(since, m.leakStats(since, Requests.listedOwner(ctx, actor))))
            .orElse(null);
    HttpApi.json(
        ctx,
        200,
        new IncidentList(
            page.items().stream().map(IncidentView::of).toList(), page.nextCursor(), stats));
  }

  private void createCanary(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_WRITE);
    CanaryBody b = Requests.body(ctx, CanaryBody.class);
    CreatedKey created = kg.canaries().create(b.ownerId(), b.label(), b.type(), actor);
    var r = created.record();
    HttpApi.json(
        ctx,
        201,
        new CreatedCanary(
            created.secret().reveal(),
            r.keyId(),
            r.ownerId(),
            r.settings().name(),
            r.type(),
            r.hint(),
            r.createdAt(),
            "Plant this key where a leak would show; it never grants access and any use raises"
                + " an alert. It is shown only once."));
  }

  private void canaries(Context ctx) {
    Actor actor = auth.require(ctx, AdminScopes.KEYS_READ);
    int limit = Requests.intParam(ctx, "limit", 50, 1, 500);
    Page<Canary> page =
        Requests.page(
            () ->
                kg.canaries()
                    .list(
                        Requests.param(ctx, "owner_id"),
                        limit,
                        Requests.param(ctx, "cursor"),
                        actor));
    HttpApi.json(ctx, 200, Views.ListPage.of(page, CanaryView::of));
  }

  // ------------------------------------------------------------------ helpers

  /**
   * The raw body, read no further than {@code max} bytes (413 beyond). With {@code minRate} > 0 the
   * body must also keep up that many bytes per second after a grace of {@link #PARTNER_READ_GRACE}
   * (408 otherwise), so an anonymous caller trickling a body holds a request thread for seconds,
   * not for as long as the server-wide minimum rate would allow.
   */
  private static byte[] body(Context ctx, long max, long minRate) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > max) {
      throw new ApiError(413, "payload_too_large", "the body exceeds " + max + " bytes");
    }
    long started = System.nanoTime();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try (InputStream in = ctx.req().getInputStream()) {
      for (int n; (n = in.read(buf)) != -1; ) {
        out.write(buf, 0, n);
        if (out.size() > max) {
          throw new ApiError(413, "payload_too_large", "the body exceeds " + max + " bytes");
        }
        if (minRate > 0
            && System.nanoTime() - started
                > PARTNER_READ_GRACE.toNanos() + out.size() * 1_000_000_000L / minRate) {
          throw new ApiError(
              408,
              "request_timeout",
              "the body arrived too slowly (at least " + minRate + " bytes per second)");
        }
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new KeygateException.InvalidRequest("invalid_body", "the body could not be read");
    }
  }

  private static String safe(String s) {
    String t = s.replaceAll("[^a-z0-9_-]", "?");
    return t.length() > 32 ? t.substring(0, 32) : t;
  }
}
