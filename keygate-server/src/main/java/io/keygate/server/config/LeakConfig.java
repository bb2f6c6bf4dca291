package io.keygate.server.config;

import io.keygate.core.leaks.LeakPolicy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Leak response settings: the secret scanning senders whose signed reports are accepted, the
 * response policy and the largest report. Read from {@code KEYGATE_*} variables by {@link
 * #fromEnv}; validated on construction.
 *
 * <p>Kept apart from {@link ServerConfig} so adding it changed no existing constructor call; {@link
 * io.keygate.server.KeygateServer.Builder#leaks} takes it and {@code keygate serve} reads it from
 * the same environment.
 *
 * @param senders secret scanning partners, GitHub first; each is served at {@code
 *     /v1/secret-scanning/<name>}
 * @param keysCacheTtl how long fetched public keys are trusted before they are fetched again
 * @param keysRefetchInterval shortest interval between two fetches of a sender's keys, whatever
 *     caused them (an unknown key identifier, the TTL, a failed fetch): forged identifiers and a
 *     failing key URL cannot make Keygate hammer it
 * @param maxReportBytes largest leak report accepted (the caller is authenticated first)
 * @param maxPartnerBytes largest secret scanning partner body: refused from its {@code
 *     Content-Length} before anything is read, and read no further than this
 * @param policy what to do with leaked live keys (and test keys, when it says so)
 * @param publicReportsPerMinute anonymous public reports ({@code POST /v1/leaks/public}) accepted
 *     per client address per minute on each node; 0 turns the endpoint off (404)
 */
public record LeakConfig(
    List<Sender> senders,
    Duration keysCacheTtl,
    Duration keysRefetchInterval,
    long maxReportBytes,
    long maxPartnerBytes,
    LeakPolicy policy,
    int publicReportsPerMinute) {

  /** Default {@link #publicReportsPerMinute()}. */
  public static final int DEFAULT_PUBLIC_REPORTS_PER_MINUTE = 10;

  /** Most keys in one public report. */
  public static final int MAX_PUBLIC_KEYS = 1000;

  /**
   * Largest public report body: {@value #MAX_PUBLIC_KEYS} keys of up to 128 characters with JSON
   * punctuation, plus a URL. Refused from its {@code Content-Length} before anything is read.
   */
  public static final long MAX_PUBLIC_BYTES = 160L * 1024;

  /** Settings with the default public report rate. */
  public LeakConfig(
      List<Sender> senders,
      Duration keysCacheTtl,
      Duration keysRefetchInterval,
      long maxReportBytes,
      long maxPartnerBytes,
      LeakPolicy policy) {
    this(
        senders,
        keysCacheTtl,
        keysRefetchInterval,
        maxReportBytes,
        maxPartnerBytes,
        policy,
        DEFAULT_PUBLIC_REPORTS_PER_MINUTE);
  }

  /** GitHub's key identifier header. */
  public static final String GITHUB_ID_HEADER = "Github-Public-Key-Identifier";

  /** GitHub's signature header. */
  public static final String GITHUB_SIGNATURE_HEADER = "Github-Public-Key-Signature";

  public static final Duration DEFAULT_KEYS_CACHE_TTL = Duration.ofHours(1);
  public static final Duration DEFAULT_KEYS_REFETCH = Duration.ofSeconds(60);
  public static final long DEFAULT_MAX_REPORT_BYTES = 16L * 1024 * 1024;
  public static final long DEFAULT_MAX_PARTNER_BYTES = 1024L * 1024;

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
  private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9-]{1,100}");

  /**
   * A secret scanning partner.
   *
   * @param name path segment ({@code github}, {@code depsdev}); also the incident source
   * @param identifierHeader header naming the signing key
   * @param signatureHeader header with the base64 DER ECDSA signature of the raw body
   * @param keysFile trusted keys in GitHub's meta format, or {@code null}
   * @param keysUrl where to fetch them, or {@code null}; used when {@code keysFile} is null
   */
  public record Sender(
      String name, String identifierHeader, String signatureHeader, Path keysFile, URI keysUrl) {
    /** Validates names and the URL scheme. */
    public Sender {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("secret scanning sender name must match " + NAME);
      }
      if (identifierHeader == null || !HEADER.matcher(identifierHeader).matches()) {
        throw new IllegalArgumentException("bad identifier header for sender " + name);
      }
      if (signatureHeader == null || !HEADER.matcher(signatureHeader).matches()) {
        throw new IllegalArgumentException("bad signature header for sender " + name);
      }
      if (keysUrl != null) {
        String scheme = String.valueOf(keysUrl.getScheme()).toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || keysUrl.getHost() == null) {
          throw new IllegalArgumentException("keys URL of sender " + name + " must be http(s)");
        }
      }
    }

    /** Whether trusted keys are configured (otherwise the sender's endpoint answers 503). */
    public boolean configured() {
      return keysFile != null || keysUrl != null;
    }
  }

  /** Validates every setting. */
  public LeakConfig {
    senders = List.copyOf(senders);
    if (senders.stream().map(Sender::name).distinct().count() != senders.size()) {
      throw new IllegalArgumentException("secret scanning sender names must be unique");
    }
    Settings.requirePositive(keysCacheTtl, "keys cache TTL");
    Settings.requirePositive(keysRefetchInterval, "keys refetch interval");
    if (maxReportBytes < 1024) {
      throw new IllegalArgumentException("max report size must be at least 1024 bytes");
    }
    if (maxPartnerBytes < 1024 || maxPartnerBytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "KEYGATE_SECRET_SCANNING_MAX_BYTES must be 1024.." + (Integer.MAX_VALUE - 8));
    }
    Objects.requireNonNull(policy, "policy");
    if (publicReportsPerMinute < 0 || publicReportsPerMinute > 10_000) {
      throw new IllegalArgumentException("KEYGATE_PUBLIC_LEAK_REPORTS_PER_MINUTE must be 0..10000");
    }
  }

  /** Defaults: an unconfigured GitHub sender, revoke every leaked live key. */
  public static LeakConfig defaults() {
    return fromEnv(Map.of());
  }

  /**
   * Reads {@code KEYGATE_GITHUB_KEYS_FILE}, {@code KEYGATE_GITHUB_KEYS_URL}, {@code
   * KEYGATE_SECRET_SCANNING_SENDERS} ({@code name=IdHeader,SigHeader,file-or-url;...}), {@code
   * KEYGATE_SECRET_SCANNING_KEYS_TTL_SECONDS}, {@code KEYGATE_SECRET_SCANNING_REFETCH_SECONDS},
   * {@code KEYGATE_MAX_REPORT_BYTES}, {@code KEYGATE_SECRET_SCANNING_MAX_BYTES}, {@code
   * KEYGATE_LEAK_POLICY} ({@code type=revoke|rotate:<hours>h|rotate:<minutes>m,...}), {@code
   * KEYGATE_LEAK_REVOKE_TEST_KEYS} ({@code true|false}, default false) and {@code
   * KEYGATE_PUBLIC_LEAK_REPORTS_PER_MINUTE} (default {@value #DEFAULT_PUBLIC_REPORTS_PER_MINUTE}),
   * through {@link Settings}.
   */
  public static LeakConfig fromEnv(Map<String, String> env) {
    List<Sender> senders = new ArrayList<>();
    Path file = Settings.GITHUB_KEYS_FILE.from(env);
    String url = Settings.GITHUB_KEYS_URL.from(env);
    senders.add(
        new Sender(
            "github",
            GITHUB_ID_HEADER,
            GITHUB_SIGNATURE_HEADER,
            file,
            file == null && url != null ? URI.create(url) : null));
    List<Sender> more = Settings.SECRET_SCANNING_SENDERS.from(env);
    if (more != null) {
      senders.addAll(more);
    }
    return new LeakConfig(
        senders,
        Settings.SECRET_SCANNING_KEYS_TTL.from(env),
        Settings.SECRET_SCANNING_REFETCH.from(env),
        Settings.MAX_REPORT_BYTES.from(env),
        Settings.SECRET_SCANNING_MAX_BYTES.from(env),
        new LeakPolicy(
            Settings.LEAK_POLICY.from(env).rotateGrace(), Settings.LEAK_REVOKE_TEST_KEYS.from(env)),
        Settings.PUBLIC_LEAK_REPORTS_PER_MINUTE.from(env));
  }

  /**
   * Parses {@code KEYGATE_SECRET_SCANNING_SENDERS}: {@code spec;spec;…}, see {@link #parseSender}.
   */
  static List<Sender> parseSenders(String specs) {
    List<Sender> out = new ArrayList<>();
    for (String spec : specs.split(";")) {
      if (!spec.isBlank()) {
        out.add(parseSender(spec.strip()));
      }
    }
    return out;
  }

  /** Parses {@code name=IdHeader,SigHeader,source} where source is a file path or http(s) URL. */
  static Sender parseSender(String spec) {
    int eq = spec.indexOf('=');
    String[] parts = eq < 0 ? new String[0] : spec.substring(eq + 1).split(",", 3);
    if (eq < 1 || parts.length != 3) {
      throw new IllegalArgumentException(
          "KEYGATE_SECRET_SCANNING_SENDERS entry must be name=IdHeader,SigHeader,file-or-url: "
              + spec);
    }
    String src = parts[2].strip();
    boolean isUrl = src.startsWith("https://") || src.startsWith("http://");
    return new Sender(
        spec.substring(0, eq).strip(),
        parts[0].strip(),
        parts[1].strip(),
        isUrl ? null : Path.of(src),
        isUrl ? URI.create(src) : null);
  }

  /** Parses {@code KEYGATE_LEAK_POLICY}: empty or {@code revoke} = revoke every type at once. */
  static LeakPolicy parsePolicy(String spec) {
    return parsePolicy(spec, false);
  }

  /** Parses {@code KEYGATE_LEAK_POLICY}, and whether leaked test keys are revoked too. */
  static LeakPolicy parsePolicy(String spec, boolean revokeTestKeys) {
    String s = spec.strip();
    if (s.isEmpty() || s.equals("revoke")) {
      return new LeakPolicy(Map.of(), revokeTestKeys);
    }
    Map<String, Duration> grace = new LinkedHashMap<>();
    for (String entry : s.split(",")) {
      String e = entry.strip();
      int eq = e.indexOf('=');
      String action = eq < 0 ? "" : e.substring(eq + 1).strip();
      if (eq < 1 || !(action.equals("revoke") || action.startsWith("rotate:"))) {
        throw new IllegalArgumentException(
            "KEYGATE_LEAK_POLICY entry must be <key type>=revoke or <key type>=rotate:<n>h|<n>m: "
                + e);
      }
      if (action.startsWith("rotate:")) {
        grace.put(e.substring(0, eq).strip(), parseGrace(action.substring(7)));
      }
    }
    return new LeakPolicy(grace, revokeTestKeys);
  }

  private static Duration parseGrace(String v) {
    String t = v.strip();
    try {
      if (t.endsWith("h")) {
        return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
      }
      if (t.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new IllegalArgumentException("leak rotation grace must be <n>h or <n>m, was " + v);
  }

  /** The sender named {@code name}, or {@code null}. */
  public Sender sender(String name) {
    for (Sender s : senders) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }
}
