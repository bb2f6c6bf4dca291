package io.keygate.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.KeygateException;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.LeakLocation;
import io.keygate.core.leaks.LeakReport;
import io.keygate.scan.Finding;
import io.keygate.scan.Scanner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parsers for leak reports: Keygate's own ({@code keygate scan --report-to}), gitleaks' JSON report
 * and TruffleHog v3's NDJSON output.
 *
 * <p><b>Design.</b> Each parser turns entries into the text that may hold a key (gitleaks' {@code
 * Secret} and {@code Match}, TruffleHog's {@code Raw} and {@code RawV2}, Keygate's {@code key})
 * plus a location; the keygate-scan {@link Scanner} then finds every checksum-confirmed key in that
 * text, so a key embedded in a longer secret (a connection string, a TruffleHog {@code Raw}) is
 * found and a look-alike never is. Malformed input is a {@link KeygateException.InvalidRequest}
 * with a precise code ({@code invalid_report}, with the line for NDJSON), never a 500. Stateless
 * and thread-safe.
 */
final class LeakReports {
  /** gitleaks' placeholder for secrets removed by {@code --redact}. */
  static final String REDACTED = "REDACTED";

  private LeakReports() {}

  /** What one report yielded. */
  record Parsed(int received, List<LeakReport> keys, boolean redacted) {}

  /**
   * Parses {@code body} in {@code format} and extracts the keys with {@code scanner}.
   *
   * @param mode {@link Exposure#PREVENTED} when the caller reports catches made before exposure
   *     ({@code ?mode=prevented}); a finding at a URL is exposed whatever the mode
   */
  static Parsed parse(String format, byte[] body, Scanner scanner, Exposure mode) {
    Parsed p =
        switch (format) {
          case "keygate" -> keygate(body, scanner);
          case "gitleaks" -> gitleaks(body, scanner);
          case "trufflehog" -> trufflehog(body, scanner);
          default ->
              throw new KeygateException.InvalidRequest(
                  "invalid_format", "format must be keygate, gitleaks or trufflehog");
        };
    if (mode == Exposure.EXPOSED) {
      return p;
    }
    List<LeakReport> classified = new ArrayList<>(p.keys().size());
    for (LeakReport r : p.keys()) {
      classified.add(
          new LeakReport(
              r.secret(), r.source(), r.location(), r.exposedAt(), exposure(r.location(), mode)));
    }
    return new Parsed(p.received(), classified, p.redacted());
  }

  /**
   * Where a key was found decides its exposure: at a URL (a public page, a hosted repository) it is
   * exposed whatever the reporter says; otherwise the reporter's mode holds.
   */
  static Exposure exposure(LeakLocation where, Exposure mode) {
    return where.url() != null ? Exposure.EXPOSED : mode;
  }

  /** The {@code mode} query parameter: {@code exposed} (default) or {@code prevented}. */
  static Exposure mode(String param) {
    if (param == null || param.isBlank()) {
      return Exposure.EXPOSED;
    }
    return switch (param.strip().toLowerCase(Locale.ROOT)) {
      case "exposed" -> Exposure.EXPOSED;
      case "prevented" -> Exposure.PREVENTED;
      default ->
          throw new KeygateException.InvalidRequest(
              "invalid_mode", "mode must be exposed or prevented");
    };
  }

  /**
   * A finder's timestamp: ISO-8601 with offset or zone ({@code 2024-03-01T10:00:00Z}, gitleaks'
   * {@code Date}, keygate scan's commit {@code date}) or git's {@code 2024-03-01 10:00:00 -0700}
   * (TruffleHog). Anything else is {@code null}: the report time is used, never an error.
   */
  static Instant timestamp(String s) {
    if (s == null || s.isBlank() || s.length() > 64) {
      return null;
    }
    String t = s.strip();
    try {
      return OffsetDateTime.parse(t).toInstant();
    } catch (DateTimeParseException e) {
      // try the next form
    }
    try {
      return ZonedDateTime.parse(t).toInstant();
    } catch (DateTimeParseException e) {
      // try the next form
    }
    for (DateTimeFormatter f : GIT_TIMES) {
      try {
        return OffsetDateTime.parse(t, f).toInstant();
      } catch (DateTimeParseException e) {
        // try the next form
      }
    }
    return null;
  }

  private static final List<DateTimeFormatter> GIT_TIMES =
      List.of(
          DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss Z", Locale.ROOT),
          DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss Z 'UTC'", Locale.ROOT),
          DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSSSS Z 'UTC'", Locale.ROOT));

  private static Parsed keygate(byte[] body, Scanner scanner) {
    JsonNode root = tree(body);
    JsonNode findings = root.get("findings");
    if (!root.isObject() || findings == null || !findings.isArray()) {
      throw invalid("a keygate report is {\"findings\": [ ... ]}");
    }
    List<LeakReport> out = new ArrayList<>();
    int i = 0;
    for (JsonNode f : findings) {
      if (!f.isObject()) {
        throw invalid("findings[" + i + "] must be an object");
      }
      String key = text(f, "key");
      if (key == null) {
        throw invalid("findings[" + i + "].key must be a string");
      }
      LeakLocation where =
          new LeakLocation(null, text(f, "file"), number(f, "line"), text(f, "commit"));
      extract(key, "keygate-scan", where, timestamp(text(f, "date")), scanner, out);
      i++;
    }
    return new Parsed(i, out, false);
  }

  private static Parsed gitleaks(byte[] body, Scanner scanner) {
    JsonNode root = tree(body);
    if (!root.isArray()) {
      throw invalid("a gitleaks report is a JSON array of findings");
    }
    List<LeakReport> out = new ArrayList<>();
    boolean redacted = false;
    int i = 0;
    for (JsonNode f : root) {
      if (!f.isObject()) {
        throw invalid("entry [" + i + "] must be an object");
      }
      String secret = text(f, "Secret");
      String match = text(f, "Match");
      redacted |= REDACTED.equals(secret) || (match != null && match.contains(REDACTED));
      LeakLocation where =
          new LeakLocation(
              text(f, "Link"), text(f, "File"), number(f, "StartLine"), text(f, "Commit"));
      extract(join(secret, match), "gitleaks", where, timestamp(text(f, "Date")), scanner, out);
      i++;
    }
    return new Parsed(i, out, redacted);
  }

  private static Parsed trufflehog(byte[] body, Scanner scanner) {
    String all = new String(body, StandardCharsets.UTF_8);
    List<LeakReport> out = new ArrayList<>();
    int received = 0;
    int lineNo = 0;
    boolean redacted = false;
    for (String line : all.split("\r?\n", -1)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode f;
      try {
        f = Json.MAPPER.readTree(line);
      } catch (JsonProcessingException e) {
        throw invalid(Json.syntaxError("line " + lineNo, e).getMessage());
      }
      if (f == null || !f.isObject()) {
        throw invalid("line " + lineNo + ": expected one JSON object per line (NDJSON)");
      }
      received++;
      String raw = join(text(f, "Raw"), text(f, "RawV2"));
      redacted |= raw == null && text(f, "Redacted") != null;
      extract(raw, "trufflehog", trufflehogLocation(f), trufflehogTime(f), scanner, out);
    }
    if (received == 0) {
      throw invalid("the report holds no TruffleHog results");
    }
    return new Parsed(received, out, redacted);
  }

  /**
   * {@code SourceMetadata.Data.<Git|Github|Gitlab|Filesystem|…>}: {@code file}, {@code line},
   * {@code commit}, {@code link} (or {@code repository} when there is no link).
   */
  private static LeakLocation trufflehogLocation(JsonNode f) {
    JsonNode data = f.path("SourceMetadata").path("Data");
    Iterator<JsonNode> it = data.isObject() ? data.elements() : Collections.emptyIterator();
    while (it.hasNext()) {
      JsonNode d = it.next();
      if (d.isObject()) {
        String link = text(d, "link");
        return new LeakLocation(
            link != null ? link : text(d, "repository"),
            text(d, "file"),
            number(d, "line"),
            text(d, "commit"));
      }
    }
    return LeakLocation.UNKNOWN;
  }

  /** {@code SourceMetadata.Data.<source>.timestamp} of a TruffleHog result, or {@code null}. */
  private static Instant trufflehogTime(JsonNode f) {
    JsonNode data = f.path("SourceMetadata").path("Data");
    Iterator<JsonNode> it = data.isObject() ? data.elements() : Collections.emptyIterator();
    while (it.hasNext()) {
      JsonNode d = it.next();
      if (d.isObject()) {
        return timestamp(text(d, "timestamp"));
      }
    }
    return null;
  }

  /**
   * Adds a report for every key the scanner finds in {@code text} (checksum-confirmed keys, and
   * keys with an imported prefix the scanner knows), and every line of {@code text} that is one
   * token (gitleaks' {@code Secret}, TruffleHog's {@code Raw}): it may be an imported key whose
   * prefix cannot be scanned for; the responder looks it up only if it is well-formed.
   */
  private static void extract(
      String text,
      String source,
      LeakLocation where,
      Instant exposedAt,
      Scanner scanner,
      List<LeakReport> out) {
    if (text == null || text.isEmpty()) {
      return;
    }
    Set<String> seen = new HashSet<>();
    for (Finding f : scanner.scan("report", text.getBytes(StandardCharsets.UTF_8))) {
      if (seen.add(f.fingerprint())) {
        out.add(new LeakReport(f.secret(), source, where, exposedAt));
      }
    }
    for (String line : text.split("\n")) {
      String token = line.strip();
      if (!token.isEmpty()
          && !token.contains(REDACTED)
          && token.length() <= MAX_TOKEN
          && !WHITESPACE.matcher(token).find()
          && seen.add(KeyHasher.sha256Hex(token))) {
        out.add(new LeakReport(new ApiKeySecret(token), source, where, exposedAt));
      }
    }
  }

  private static final int MAX_TOKEN = 512;
  private static final Pattern WHITESPACE = Pattern.compile("\\s");

  /** Wraps a raw token in a report without scanning (secret scanning partners send bare keys). */
  static LeakReport token(String token, String source, String url) {
    return new LeakReport(
        new ApiKeySecret(token),
        source,
        new LeakLocation(url == null || url.isBlank() ? null : url, null, null, null),
        null);
  }

  private static String join(String a, String b) {
    if (a == null) {
      return b;
    }
    return b == null || b.equals(a) ? a : a + "\n" + b;
  }

  private static JsonNode tree(byte[] body) {
    try {
      JsonNode n = Json.MAPPER.readTree(body);
      if (n == null || n.isMissingNode()) {
        throw invalid("the report is empty");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw invalid(Json.syntaxError("the report", e).getMessage());
    } catch (IOException e) {
      throw invalid("the report could not be read");
    }
  }

  private static String text(JsonNode o, String field) {
    JsonNode v = o.get(field);
    return v != null && v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
  }

  private static Long number(JsonNode o, String field) {
    JsonNode v = o.get(field);
    return v != null && v.canConvertToLong() && v.asLong() > 0 ? v.asLong() : null;
  }

  static KeygateException.InvalidRequest invalid(String message) {
    return new KeygateException.InvalidRequest("invalid_report", message);
  }

  /** The {@code format} query parameter, lower-cased; {@code keygate} when absent. */
  static String format(String param) {
    return param == null || param.isBlank() ? "keygate" : param.strip().toLowerCase(Locale.ROOT);
  }
}
