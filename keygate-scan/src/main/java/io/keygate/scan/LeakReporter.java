package io.keygate.scan;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Sends findings, with their raw keys, to a Keygate server's leak intake: {@code POST
 * <base>/v1/leaks/reports?format=keygate} with {@code Authorization: Bearer <token>} and the body
 * documented in docs/scanner.md.
 *
 * <p><b>Security guarantees.</b> This is the only code in the module that calls {@code
 * ApiKeySecret.reveal()} to send a key anywhere. It refuses any URL that is neither {@code https}
 * nor a loopback host ({@code localhost}, 127.0.0.0/8, {@code ::1}); host names other than {@code
 * localhost} are never resolved to decide that. Redirects are not followed. Thread-safe.
 */
final class LeakReporter {
  static final String PATH = "/v1/leaks/reports?format=keygate";

  /** Record-only intake for catches before exposure (staged scans). */
  static final String PREVENTED = "&mode=prevented";

  /** Where the server lists the key formats to look for. */
  static final String FORMATS_PATH = "/v1/leaks/formats";

  static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final URI endpoint;
  private final URI formats;
  private final String token;

  /**
   * @param prevented whether the findings were caught before exposure (a staged scan): the server
   *     records them and keeps the keys
   * @throws IllegalArgumentException if the URL is malformed, or neither https nor loopback
   */
  LeakReporter(String baseUrl, String token, boolean prevented) {
    URI reports = endpoint(baseUrl);
    this.endpoint = prevented ? URI.create(reports + PREVENTED) : reports;
    String s = reports.toString();
    this.formats = URI.create(s.substring(0, s.length() - PATH.length()) + FORMATS_PATH);
    this.token = token;
  }

  /**
   * The prefixes of keys the server imported from other systems ({@code GET /v1/leaks/formats}), so
   * that the scan finds them too.
   *
   * @throws ScanException if the server cannot be reached or answers with another status
   */
  List<String> importedPrefixes() {
    HttpResponse<String> resp =
        exchange(
            HttpRequest.newBuilder(formats)
                .timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .GET()
                .build(),
            formats);
    try {
      List<String> out = new ArrayList<>();
      for (var p : Reports.mapper().readTree(resp.body()).path("imported_prefixes")) {
        if (p.isTextual()) {
          out.add(p.asText());
        }
      }
      return out;
    } catch (IOException e) {
      throw new ScanException("bad answer from " + formats + ": " + e.getMessage(), e);
    }
  }

  URI endpoint() {
    return endpoint;
  }

  static URI endpoint(String baseUrl) {
    URI base;
    try {
      base = new URI(baseUrl);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--report-to: not a URL: " + baseUrl, e);
    }
    String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(Locale.ROOT);
    if (base.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
      throw new IllegalArgumentException("--report-to: expected an http(s) URL, got " + baseUrl);
    }
    if (base.getRawQuery() != null || base.getRawFragment() != null) {
      throw new IllegalArgumentException("--report-to: the URL must not have a query or fragment");
    }
    if (scheme.equals("http") && !isLoopback(base.getHost())) {
      throw new IllegalArgumentException(
          "--report-to: refusing to send keys over plain http to "
              + base.getHost()
              + "; use https, or http only to a loopback address (127.0.0.1, ::1, localhost)");
    }
    String s = base.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return URI.create(s + PATH);
  }

  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost")) {
      return true;
    }
    if (!IPV4.matcher(h).matches() && !h.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** The request body: {@code {"findings":[{"key": raw key, ...location...}]}}. */
  static byte[] body(List<Finding> findings) throws IOException {
    ObjectNode root = Reports.mapper().createObjectNode();
    ArrayNode arr = root.putArray("findings");
    for (Finding f : findings) {
      ObjectNode o = arr.addObject();
      o.put("key", f.secret().reveal());
      o.put("key_type", f.keyType().name());
      o.put("fingerprint", f.fingerprint());
      o.put("file", f.file());
      o.put("line", f.line());
      o.put("column", f.column());
      Reports.putCommit(o, f.commit());
    }
    return Reports.mapper().writeValueAsBytes(root);
  }

  /**
   * Posts the findings.
   *
   * @return the HTTP status (2xx)
   * @throws ScanException if the server cannot be reached or answers with another status
   */
  int send(List<Finding> findings) {
    byte[] body;
    try {
      body = body(findings);
    } catch (IOException e) {
      throw new ScanException("cannot encode the report: " + e.getMessage(), e);
    }
    return exchange(
            HttpRequest.newBuilder(endpoint)
                .timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            endpoint)
        .statusCode();
  }

  private static HttpResponse<String> exchange(HttpRequest req, URI uri) {
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    try {
      HttpResponse<String> resp = client.send(req, HttpResponse.BodyHandlers.ofString());
      if (resp.statusCode() / 100 != 2) {
        String text = resp.body() == null ? "" : resp.body();
        throw new ScanException(
            "request to "
                + uri
                + " failed: HTTP "
                + resp.statusCode()
                + (text.isBlank() ? "" : ": " + text.substring(0, Math.min(200, text.length()))));
      }
      return resp;
    } catch (IOException e) {
      throw new ScanException("request to " + uri + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ScanException("request to " + uri + " interrupted", e);
    }
  }
}
