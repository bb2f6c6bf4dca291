package io.keygate.server.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keygate.core.events.EventTypes;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.lifecycle.KeyPolicy;
import io.keygate.core.monitor.KeyStats;
import io.keygate.core.monitor.LeakStats;
import io.keygate.core.monitor.MonitorStore;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.json.KeygateJson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * The "API Key Security Implementation Report" in the reference design's format, with live figures:
 * every status is computed from the running configuration and the store, none is fixed.
 *
 * <p>Leak figures come from the {@code leak_incidents} table ({@link LeakStats}), classified by
 * where each key was found, not by the tool that reported it: keys found at a public URL, in a
 * pushed commit or reported publicly count as detected in public; keys caught in a staged change or
 * by a pre-commit/CI check and reported record-only ({@code ?mode=prevented}) count as prevented.
 * Canaries are not leaked keys. Time to revocation is measured from exposure (commit date, the
 * finder's timestamp) and from the report, over revoked live keys only: canaries, test keys,
 * prevented catches and repeats stay out. Thread-safe (stateless apart from its inputs).
 */
public final class SecurityReport {
  private static final Duration PERIOD = Duration.ofDays(30);
  private static final ObjectMapper JSON = KeygateJson.MAPPER;

  /**
   * Everything the report reads besides the store: the effective settings, reduced to the values
   * the report shows. A server records these in the database ({@link #toJson}, {@link
   * io.keygate.core.monitor.MonitorStore#recordReportSettings}) so that {@code keygate report}
   * computes the same report from the same settings. Holds no secret.
   *
   * @param platform platform name
   * @param keyPrefixes prefixes of the configured non-admin key types
   * @param defaultGrace default rotation grace period
   * @param maxGrace longest rotation grace period
   * @param maxTtl longest key lifetime
   * @param pepperVersions configured pepper versions, or empty when unknown
   * @param cacheSize verification cache bound
   * @param cacheTtl verification cache TTL
   * @param expiryNoticeDays expiry notice thresholds
   * @param leakSenders secret scanning partners with their settings complete
   * @param leakRotateTypes key types the leak policy rotates with a short grace (sorted); others
   *     are revoked at once
   * @param revokeLeakedTestKeys whether the leak policy answers leaked test keys too
   */
  public record Inputs(
      String platform,
      List<String> keyPrefixes,
      Duration defaultGrace,
      Duration maxGrace,
      Duration maxTtl,
      List<Integer> pepperVersions,
      long cacheSize,
      Duration cacheTtl,
      List<Integer> expiryNoticeDays,
      List<String> leakSenders,
      List<String> leakRotateTypes,
      boolean revokeLeakedTestKeys) {
    private static final ObjectWriter WRITER =
        KeygateJson.MAPPER
            .writerFor(Inputs.class)
            .without(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
    // Lenient on fields a newer server may add; a missing field fails the constructor's checks.
    private static final ObjectReader READER =
        KeygateJson.MAPPER
            .readerFor(Inputs.class)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Checks that every part is given and copies the lists. */
    public Inputs {
      Objects.requireNonNull(platform, "platform");
      keyPrefixes = List.copyOf(keyPrefixes);
      Objects.requireNonNull(defaultGrace, "defaultGrace");
      Objects.requireNonNull(maxGrace, "maxGrace");
      Objects.requireNonNull(maxTtl, "maxTtl");
      pepperVersions = List.copyOf(pepperVersions);
      Objects.requireNonNull(cacheTtl, "cacheTtl");
      expiryNoticeDays = List.copyOf(expiryNoticeDays);
      leakSenders = List.copyOf(leakSenders);
      leakRotateTypes = List.copyOf(leakRotateTypes);
    }

    /**
     * The inputs of a node configured this way.
     *
     * @param leaks leak response settings, or null when leak response is not configured
     */
    public static Inputs of(
        String platform,
        KeyTypes types,
        KeyPolicy policy,
        List<Integer> pepperVersions,
        long cacheSize,
        Duration cacheTtl,
        List<Integer> expiryNoticeDays,
        LeakConfig leaks) {
      return new Inputs(
          platform,
          types.all().stream().filter(t -> !t.admin()).map(KeyType::prefix).toList(),
          policy.defaultGrace(),
          policy.maxGrace(),
          policy.maxTtl(),
          pepperVersions,
          cacheSize,
          cacheTtl,
          expiryNoticeDays,
          leaks == null
              ? List.of()
              : leaks.senders().stream()
                  .filter(LeakConfig.Sender::configured)
                  .map(LeakConfig.Sender::name)
                  .toList(),
          leaks == null
              ? List.of()
              : leaks.policy().rotateGrace().keySet().stream().sorted().toList(),
          leaks != null && leaks.policy().revokeTestKeys());
    }

    /** A copy with other pepper versions. */
    public Inputs withPepperVersions(List<Integer> versions) {
      return new Inputs(
          platform,
          keyPrefixes,
          defaultGrace,
          maxGrace,
          maxTtl,
          versions,
          cacheSize,
          cacheTtl,
          expiryNoticeDays,
          leakSenders,
          leakRotateTypes,
          revokeLeakedTestKeys);
    }

    /** These inputs as JSON (snake_case fields, ISO-8601 durations), for the database. */
    public String toJson() {
      try {
        return WRITER.writeValueAsString(this);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("report inputs could not be written as JSON", e);
      }
    }

    /**
     * Reads inputs written by {@link #toJson}.
     *
     * @throws IllegalArgumentException when {@code json} is not such a value
     */
    public static Inputs fromJson(String json) {
      try {
        Inputs in = READER.readValue(json);
        if (in == null) {
          throw new IllegalArgumentException("recorded report settings are empty");
        }
        return in;
      } catch (JsonProcessingException | NullPointerException e) {
        throw new IllegalArgumentException("recorded report settings could not be read", e);
      }
    }
  }

  /** One row of the controls table. */
  public record Control(String control, String implementation, String status) {}

  /** The computed report. */
  public record Report(
      String platform,
      Instant generatedAt,
      long totalActiveKeys,
      long dailyValidations,
      List<Control> controls,
      long leakedInPublicSources,
      Double avgMinutesToRevocation,
      long caughtBeforeCommit,
      long leakIncidents,
      String leakBasis,
      Double p95MinutesToRevocation,
      Double avgMinutesReportToRevocation,
      Double p95MinutesReportToRevocation,
      long revokedLeakedKeys,
      long canaryIncidents) {}

  private SecurityReport() {}

  /** Computes the report at {@code now}. */
  public static Report compute(Inputs in, MonitorStore store, Instant now) {
    Instant since = now.minus(PERIOD);
    KeyStats keys = store.keyStats(now);
    long daily = store.totalUsage(now.minus(Duration.ofDays(1)), now.plusMillis(1), null);
    long rotations = store.countEvents(EventTypes.KEY_ROTATED, since);
    LeakStats leaks = store.leakStats(since);
    long prevented = leaks.preventedKeys();
    long inPublic = leaks.exposedKeys();
    LeakStats.Figures fromExposure = leaks.exposureToRevocation();
    LeakStats.Figures fromReport = leaks.reportToRevocation();
    Double avgMin = fromExposure.count() == 0 ? null : fromExposure.meanMillis() / 60_000.0;

    List<Control> controls = new ArrayList<>();
    int bits = (int) Math.floor(KeyFormat.BODY_LENGTH * Math.log(62) / Math.log(2));
    controls.add(
        new Control(
            "Key Entropy",
            bits
                + "-bit random body ("
                + KeyFormat.BODY_LENGTH
                + " base62 characters from SecureRandom) + CRC-32 checksum",
            bits >= 256 ? "Implemented" : "Weak"));
    List<String> prefixes = in.keyPrefixes();
    controls.add(
        new Control(
            "Key Format",
            String.join("/", prefixes) + " prefixed, checksummed (offline leak confirmation)",
            prefixes.isEmpty() ? "Not configured" : "Implemented"));
    String versions =
        keys.byPepperVersion().keySet().stream()
            .sorted()
            .map(v -> "v" + v)
            .collect(Collectors.joining(", "));
    boolean unknownPepper =
        !in.pepperVersions().isEmpty()
            && !in.pepperVersions().containsAll(keys.byPepperVersion().keySet());
    controls.add(
        new Control(
            "Storage",
            "HMAC-SHA256 with a pepper kept outside the database"
                + (versions.isEmpty() ? "" : " (keys under pepper " + versions + ")")
                + (in.pepperVersions().isEmpty()
                    ? ""
                    : "; configured pepper versions "
                        + in.pepperVersions().stream()
                            .sorted()
                            .map(v -> "v" + v)
                            .collect(Collectors.joining(", ")))
                + "; verification cache "
                + (in.cacheSize() == 0
                    ? "off"
                    : "up to " + in.cacheSize() + " keys, TTL " + human(in.cacheTtl())),
            unknownPepper
                ? "Attention: keys hashed under a pepper not configured"
                : "Implemented"));
    controls.add(
        new Control(
            "Scoping",
            "Per-key scopes ("
                + pct(keys.active(), keys.active())
                + " of active keys); IP allowlists on "
                + pct(keys.withIpAllowlist(), keys.active())
                + "; rate limits on "
                + pct(keys.withRateLimits(), keys.active()),
            keys.active() == 0
                ? "Implemented (no active keys)"
                : keys.withRateLimits() == keys.active() ? "Implemented" : "Partial"));
    controls.add(
        new Control(
            "Rotation",
            human(in.defaultGrace())
                + " default grace period (max "
                + human(in.maxGrace())
                + "), enforced; "
                + rotations
                + " rotation(s) in the last 30 days",
            rotations > 0 ? "Active" : "Implemented"));
    controls.add(
        new Control(
            "Expiration",
            in.maxTtl().toDays()
                + "-day max TTL; "
                + pct(keys.withExpiry(), keys.active())
                + " of active keys expire; notices "
                + in.expiryNoticeDays().stream()
                    .map(String::valueOf)
                    .collect(Collectors.joining("/"))
                + " days before",
            keys.active() == keys.withExpiry() ? "Implemented" : "Partial"));
    boolean github = in.leakSenders().contains("github");
    List<String> partners = in.leakSenders();
    controls.add(
        new Control(
            "Leak Detection",
            (github ? "GitHub Secret Scanning endpoint" : "GitHub Secret Scanning not configured")
                + (partners.size() > (github ? 1 : 0) ? " + partners " + partners : "")
                + " + report intake (gitleaks, TruffleHog, keygate scan); "
                + leaks.total()
                + " confirmed leak report(s) in 30 days",
            github ? "Active" : leaks.total() > 0 ? "Partial" : "Not configured"));
    String policy =
        in.leakRotateTypes().isEmpty()
            ? "revoke at once"
            : "rotate with short grace for " + in.leakRotateTypes();
    if (in.revokeLeakedTestKeys()) {
      policy += "; leaked test keys too";
    }
    controls.add(
        new Control(
            "Auto-Revocation",
            "Leaked live keys: "
                + policy
                + (avgMin == null
                    ? "; no leaked key revoked in 30 days"
                    : "; revoked within " + minutes(avgMin) + " on average"),
            avgMin != null ? "Active" : "Implemented"));
    return new Report(
        in.platform(),
        now,
        keys.active(),
        daily,
        controls,
        inPublic,
        avgMin,
        prevented,
        leaks.total(),
        leaks.basis(),
        fromExposure.count() == 0 ? null : fromExposure.p95Millis() / 60_000.0,
        fromReport.count() == 0 ? null : fromReport.meanMillis() / 60_000.0,
        fromReport.count() == 0 ? null : fromReport.p95Millis() / 60_000.0,
        fromExposure.count(),
        leaks.canaryIncidents());
  }

  private static String orNa(Double minutes) {
    return minutes == null ? "n/a" : minutes(minutes);
  }

  private static String pct(long n, long of) {
    if (of == 0) {
      return "0%";
    }
    double p = 100.0 * n / of;
    return (p == Math.rint(p) ? Long.toString((long) p) : String.format(Locale.ROOT, "%.1f", p))
        + "%";
  }

  private static String human(Duration d) {
    if (d.toMinutes() % 60 == 0) {
      return d.toHours() + "-hour";
    }
    return d.toMinutes() + "-minute";
  }

  static String minutes(double m) {
    return String.format(Locale.ROOT, "%.1f minutes", m);
  }

  private static String number(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** Markdown in the reference design's layout. */
  public static String markdown(Report r) {
    StringBuilder s = new StringBuilder();
    s.append("## API Key Security Implementation Report\n\n");
    s.append("**Platform**: ").append(r.platform()).append('\n');
    s.append("**Total Active Keys**: ").append(number(r.totalActiveKeys())).append('\n');
    s.append("**Daily Key Validations**: ").append(number(r.dailyValidations())).append("\n\n");
    s.append("### Security Controls\n\n");
    s.append("| Control | Implementation | Status |\n");
    s.append("|---------|---------------|--------|\n");
    controlRows(s, r.controls(), "| ", " | ", " |\n", SecurityReport::cell);
    s.append("\n### Key Leakage Stats (Last 30 Days)\n");
    s.append("- Keys detected in public repos: ").append(r.leakedInPublicSources()).append('\n');
    s.append("- Average time to revocation: ")
        .append(orNa(r.avgMinutesToRevocation()))
        .append('\n');
    s.append("- Keys detected in CI/CD pre-commit: ")
        .append(r.caughtBeforeCommit())
        .append(" (prevented)\n");
    s.append("\nTime to revocation over ")
        .append(r.revokedLeakedKeys())
        .append(" revoked live key(s), from exposure: mean ")
        .append(orNa(r.avgMinutesToRevocation()))
        .append(", p95 ")
        .append(orNa(r.p95MinutesToRevocation()))
        .append("; from the report: mean ")
        .append(orNa(r.avgMinutesReportToRevocation()))
        .append(", p95 ")
        .append(orNa(r.p95MinutesReportToRevocation()))
        .append(". Canaries (")
        .append(r.canaryIncidents())
        .append(" incident(s)), test keys and repeats are not counted.\n");
    s.append("\n_Generated ").append(r.generatedAt()).append("; leak figures from ");
    s.append(r.leakBasis()).append("._\n");
    return s.toString();
  }

  /**
   * The controls table's rows, one per control: control, implementation and status, each passed
   * through {@code escape}, between {@code open}, {@code between} and {@code close}.
   */
  private static void controlRows(
      StringBuilder s,
      List<Control> controls,
      String open,
      String between,
      String close,
      UnaryOperator<String> escape) {
    for (Control c : controls) {
      s.append(open)
          .append(escape.apply(c.control()))
          .append(between)
          .append(escape.apply(c.implementation()))
          .append(between)
          .append(escape.apply(c.status()))
          .append(close);
    }
  }

  private static String cell(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }

  /** JSON with the same figures. */
  public static String json(Report r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("title", "API Key Security Implementation Report");
    n.put("platform", r.platform());
    n.put("generated_at", r.generatedAt().toString());
    n.put("total_active_keys", r.totalActiveKeys());
    n.put("daily_key_validations", r.dailyValidations());
    ArrayNode cs = n.putArray("controls");
    for (Control c : r.controls()) {
      cs.addObject()
          .put("control", c.control())
          .put("implementation", c.implementation())
          .put("status", c.status());
    }
    ObjectNode l = n.putObject("key_leakage_last_30_days");
    l.put("detected_in_public_sources", r.leakedInPublicSources());
    putMinutes(l, "average_minutes_to_revocation", r.avgMinutesToRevocation());
    l.put("caught_before_commit", r.caughtBeforeCommit());
    putMinutes(l, "p95_minutes_to_revocation", r.p95MinutesToRevocation());
    putMinutes(l, "average_minutes_report_to_revocation", r.avgMinutesReportToRevocation());
    putMinutes(l, "p95_minutes_report_to_revocation", r.p95MinutesReportToRevocation());
    l.put("revoked_live_keys", r.revokedLeakedKeys());
    l.put("canary_incidents", r.canaryIncidents());
    l.put("incidents", r.leakIncidents());
    l.put("basis", r.leakBasis());
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void putMinutes(ObjectNode o, String field, Double minutes) {
    if (minutes == null) {
      o.putNull(field);
    } else {
      o.put(field, minutes);
    }
  }

  /** A self-contained HTML page with the same figures (no scripts, no external resources). */
  public static String html(Report r) {
    StringBuilder s = new StringBuilder();
    s.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>API Key Security Implementation Report</title>")
        .append("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;")
        .append("text-align:left}</style></head><body>\n");
    s.append("<h1>API Key Security Implementation Report</h1>\n<dl>");
    s.append("<dt>Platform</dt><dd id=\"platform\">").append(esc(r.platform())).append("</dd>");
    s.append("<dt>Total Active Keys</dt><dd id=\"total-active-keys\">")
        .append(number(r.totalActiveKeys()))
        .append("</dd>");
    s.append("<dt>Daily Key Validations</dt><dd id=\"daily-key-validations\">")
        .append(number(r.dailyValidations()))
        .append("</dd></dl>\n<h2>Security Controls</h2>\n<table><thead><tr>")
        .append("<th>Control</th><th>Implementation</th><th>Status</th></tr></thead><tbody>\n");
    controlRows(s, r.controls(), "<tr><td>", "</td><td>", "</td></tr>\n", SecurityReport::esc);
    s.append("</tbody></table>\n<h2>Key Leakage Stats (Last 30 Days)</h2>\n<ul>");
    s.append("<li>Keys detected in public repos: <span id=\"leaked-public\">")
        .append(r.leakedInPublicSources())
        .append("</span></li>");
    s.append("<li>Average time to revocation: <span id=\"avg-revocation\">")
        .append(orNa(r.avgMinutesToRevocation()))
        .append("</span></li>");
    s.append("<li>Keys detected in CI/CD pre-commit: <span id=\"caught-before-commit\">")
        .append(r.caughtBeforeCommit())
        .append("</span> (prevented)</li>");
    s.append("<li>Time to revocation from exposure, p95: <span id=\"p95-revocation\">")
        .append(orNa(r.p95MinutesToRevocation()))
        .append("</span>; from the report: mean <span id=\"avg-report-revocation\">")
        .append(orNa(r.avgMinutesReportToRevocation()))
        .append("</span>, p95 <span id=\"p95-report-revocation\">")
        .append(orNa(r.p95MinutesReportToRevocation()))
        .append("</span> (revoked live keys only; canaries, test keys, repeats left out)</li>")
        .append("</ul>\n");
    s.append("<p><small>Generated ")
        .append(esc(r.generatedAt().toString()))
        .append("; leak figures from ")
        .append(esc(r.leakBasis()))
        .append(".</small></p>\n</body></html>\n");
    return s.toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;")
        .replace("'", "&#39;");
  }

  /** Renders in {@code format}: {@code md}, {@code json} or {@code html}. */
  public static String render(Report r, String format) {
    return switch (format) {
      case "md", "markdown" -> markdown(r);
      case "json" -> json(r);
      case "html" -> html(r);
      default -> throw new IllegalArgumentException("format must be md, json or html");
    };
  }
}
