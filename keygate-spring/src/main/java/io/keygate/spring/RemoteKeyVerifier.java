package io.keygate.spring;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.keygate.core.SecretMasker;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.verify.EndpointRules;
import io.keygate.core.verify.Outcome;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Verifies keys against a Keygate server: {@code POST <url>/v1/verify} with a service admin token
 * holding the {@code verify} scope, over {@link java.net.http.HttpClient}.
 *
 * <pre>{@code
 * KeyVerifier v = RemoteKeyVerifier.builder()
 *     .url(URI.create("https://keygate.internal:8080"))
 *     .token(System.getenv("KEYGATE_TOKEN"))
 *     .build();
 * }</pre>
 *
 * <p><b>Local cache and bounded staleness.</b> To spare a network round trip per request, results
 * are cached for {@link Builder#cacheTtl} (default {@value #DEFAULT_CACHE_TTL_SECONDS} s): {@code
 * valid} answers per (key, client IP, required scopes, and method and path when the key has
 * endpoint rules) — except for metered keys (rate limits or a quota), whose every request must
 * reach the server — and definitive key-state refusals ({@code invalid_key}, {@code key_revoked},
 * {@code key_expired}, {@code key_disabled}) per key. Nothing else is cached ({@code
 * ip_not_allowed}, {@code insufficient_scope}, {@code rate_limited}, …). A key revoked on the
 * server is therefore refused here at most one TTL later: that TTL is the bound on revocation
 * staleness in remote mode. A TTL of zero disables the cache.
 *
 * <p>Malformed keys and look-alikes (bad prefix, length or checksum) are refused offline as {@code
 * invalid_key} without a call. The filter's rules decide the required scopes; the server gets the
 * key, client IP, scopes, method and path (the key's own endpoint rules are checked there).
 *
 * <p><b>Failure.</b> An unreachable server, a timeout, a non-200 answer (for example a token that
 * is wrong or lacks the {@code verify} scope) or a malformed body throws {@link
 * KeygateUnavailableException}: the filter fails closed with 503.
 *
 * <p><b>Security guarantees.</b> The raw key is sent only in the request body over the configured
 * URL (use HTTPS off-host). Cache entries are keyed by the SHA-256 of the key, never the key. No
 * message, log line or exception carries the key or the token. Thread-safe.
 */
public final class RemoteKeyVerifier implements KeyVerifier {
  /** Default cache TTL in seconds. */
  public static final int DEFAULT_CACHE_TTL_SECONDS = 5;

  /** Default cache TTL: the revocation staleness bound in remote mode. */
  public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(DEFAULT_CACHE_TTL_SECONDS);

  /** Default bound on cached results. */
  public static final long DEFAULT_CACHE_SIZE = 100_000;

  /** Default connect and request timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  private static final ObjectMapper JSON = SpringJson.MAPPER;
  private static final Set<String> KEY_STATE_CODES =
      Set.of(
          Outcome.INVALID_KEY.code(),
          Outcome.KEY_REVOKED.code(),
          Outcome.KEY_EXPIRED.code(),
          Outcome.KEY_DISABLED.code());

  private final URI endpoint;
  private final String authorization;
  private final Duration timeout;
  private final KeyFormat format;
  private final HttpClient http;
  private final Cache<String, Grant> granted;
  private final Cache<String, KeyVerdict> keyStates;

  private RemoteKeyVerifier(Builder b) {
    String base = b.url.toString();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    this.endpoint = URI.create(base + "/v1/verify");
    this.authorization = "Bearer " + b.token;
    this.timeout = b.timeout;
    this.format = b.format;
    this.http =
        b.httpClient != null
            ? b.httpClient
            : HttpClient.newBuilder()
                .connectTimeout(b.timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    if (b.cacheTtl.isZero()) {
      this.granted = null;
      this.keyStates = null;
    } else {
      this.granted = cache(b);
      this.keyStates = cache(b);
    }
  }

  private static <V> Cache<String, V> cache(Builder b) {
    return Caffeine.newBuilder()
        .maximumSize(b.cacheSize)
        .expireAfterWrite(b.cacheTtl)
        .ticker(b.ticker)
        .build();
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The verify endpoint this verifier calls. */
  public URI endpoint() {
    return endpoint;
  }

  @Override
  public KeyVerdict verify(KeyRequest r) {
    if (format.identify(r.key()) == null) {
      return KeyVerdict.refused(Outcome.INVALID_KEY);
    }
    String keyHash = sha256(r.key());
    String grantKey = null;
    if (granted != null) {
      KeyVerdict state = keyStates.getIfPresent(keyHash);
      if (state != null) {
        return state;
      }
      grantKey =
          keyHash + '\n' + r.clientIp() + '\n' + String.join(",", sorted(r.requiredScopes()));
      Grant ok = granted.getIfPresent(grantKey);
      if (ok != null && ok.covers(r)) {
        return ok.verdict();
      }
    }
    Answer a = call(keyRequestBody(r));
    KeyVerdict v = a.verdict();
    if (granted != null) {
      if (v.valid() && !a.metered()) {
        granted.put(grantKey, Grant.of(v, r));
      } else if (KEY_STATE_CODES.contains(v.code())) {
        keyStates.put(keyHash, v);
      }
    }
    return v;
  }

  /**
   * Asks the server to refuse and report a key found in the URL: {@code /v1/verify} with the URL as
   * {@code path} and no key. Never cached.
   */
  @Override
  public KeyVerdict keyInUrl(String target, String clientIp) {
    ObjectNode body = JSON.createObjectNode();
    body.put("path", target);
    if (clientIp != null) {
      body.put("ip", clientIp);
    }
    return call(body).verdict();
  }

  /**
   * A cached valid answer. A key with endpoint rules was granted for one method and path only;
   * other keys for any.
   */
  private record Grant(KeyVerdict verdict, String method, String path) {
    static Grant of(KeyVerdict v, KeyRequest r) {
      boolean rules = v.principal().scopes().stream().anyMatch(EndpointRules::isRule);
      return rules ? new Grant(v, r.method(), r.path()) : new Grant(v, null, null);
    }

    boolean covers(KeyRequest r) {
      return path == null || (path.equals(r.path()) && Objects.equals(method, r.method()));
    }
  }

  /** Drops every cached result (for example after an administrative change made here). */
  public void invalidateAll() {
    if (granted != null) {
      granted.invalidateAll();
      keyStates.invalidateAll();
    }
  }

  /**
   * A verify answer and whether the key is metered (has rate limits or a quota): a metered key's
   * valid answer is never cached, or cached requests would bypass the server's limits.
   */
  private record Answer(KeyVerdict verdict, boolean metered) {}

  private static ObjectNode keyRequestBody(KeyRequest r) {
    ObjectNode body = JSON.createObjectNode();
    body.put("key", r.key());
    ArrayNode scopes = body.putArray("required_scopes");
    r.requiredScopes().forEach(scopes::add);
    if (r.clientIp() != null) {
      body.put("ip", r.clientIp());
    }
    if (r.method() != null) {
      body.put("method", r.method());
    }
    if (r.path() != null) {
      body.put("path", r.path());
    }
    return body;
  }

  /** Sends {@code body} to {@code /v1/verify} and reads the answer. */
  private Answer call(ObjectNode body) {
    HttpRequest req;
    try {
      req =
          HttpRequest.newBuilder(endpoint)
              .timeout(timeout)
              .header("Authorization", authorization)
              .header("Content-Type", "application/json")
              .header("Accept", "application/json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
              .build();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a verify request", e);
    }
    HttpResponse<byte[]> resp;
    try {
      resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new KeygateUnavailableException(
          "Keygate server " + endpoint + " did not answer: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeygateUnavailableException("interrupted while calling " + endpoint, e);
    }
    if (resp.statusCode() != 200) {
      throw new KeygateUnavailableException(
          "Keygate server "
              + endpoint
              + " answered HTTP "
              + resp.statusCode()
              + errorCode(resp.body())
              + (resp.statusCode() == 401 || resp.statusCode() == 403
                  ? "; check that keygate.token is an admin token with the 'verify' scope"
                  : ""),
          null);
    }
    return parse(resp.body());
  }

  private Answer parse(byte[] body) {
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (IOException e) {
      throw new KeygateUnavailableException(
          "Keygate server " + endpoint + " sent a malformed verify answer", e);
    }
    if (n == null || !n.isObject() || !n.path("code").isTextual()) {
      throw new KeygateUnavailableException(
          "Keygate server " + endpoint + " sent a verify answer without a code", null);
    }
    String code = n.get("code").asText();
    boolean valid = n.path("valid").asBoolean(false);
    if (valid && Outcome.VALID.code().equals(code)) {
      String keyId = text(n, "key_id");
      String type = text(n, "type");
      if (keyId == null || type == null) {
        throw new KeygateUnavailableException(
            "Keygate server " + endpoint + " sent a valid answer without key_id/type", null);
      }
      List<String> keyScopes = new ArrayList<>();
      n.path("scopes").forEach(s -> keyScopes.add(s.asText()));
      boolean metered =
          n.path("rate_limits").size() > 0 || (n.has("quota") && !n.get("quota").isNull());
      return new Answer(
          KeyVerdict.valid(new KeygatePrincipal(keyId, text(n, "owner_id"), type, keyScopes)),
          metered);
    }
    Outcome o = outcome(code);
    String message = text(n, "message");
    if (o == null || o == Outcome.VALID) {
      // A code this client does not know yet: refuse with the server's words.
      return new Answer(
          new KeyVerdict(
              Outcome.VALID.code().equals(code) ? Outcome.INVALID_KEY.code() : code,
              403,
              message != null ? message : "the request was refused (" + code + ")",
              null),
          true);
    }
    return new Answer(KeyVerdict.refused(o, message), true);
  }

  private static Outcome outcome(String code) {
    try {
      return Outcome.valueOf(code.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String errorCode(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      return n != null && n.path("error").isTextual() ? " (" + n.get("error").asText() + ")" : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static List<String> sorted(List<String> scopes) {
    if (scopes.size() < 2) {
      return scopes;
    }
    List<String> s = new ArrayList<>(scopes);
    s.sort(null);
    return s;
  }

  private static String sha256(String key) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Fail-fast configuration of a {@link RemoteKeyVerifier}. Not thread-safe. */
  public static final class Builder {
    private URI url;
    private String token;
    private Duration cacheTtl = DEFAULT_CACHE_TTL;
    private long cacheSize = DEFAULT_CACHE_SIZE;
    private Duration timeout = DEFAULT_TIMEOUT;
    private KeyFormat format = new KeyFormat(KeyTypes.defaults(), SecureRandom::new);
    private Ticker ticker = Ticker.systemTicker();
    private HttpClient httpClient;

    private Builder() {}

    /** Base URL of the Keygate server, e.g. {@code http://127.0.0.1:8080} (required). */
    public Builder url(URI url) {
      Objects.requireNonNull(url, "url");
      String scheme = url.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
        throw new IllegalArgumentException(
            "Keygate URL must be http or https, was " + SecretMasker.mask(String.valueOf(url)));
      }
      if (url.getHost() == null) {
        throw new IllegalArgumentException(
            "Keygate URL needs a host, was " + SecretMasker.mask(String.valueOf(url)));
      }
      if (url.getQuery() != null || url.getFragment() != null) {
        throw new IllegalArgumentException("Keygate URL must not have a query or fragment");
      }
      this.url = url;
      return this;
    }

    /** Admin token with the {@code verify} scope (required). Never logged. */
    public Builder token(String token) {
      if (token == null || token.isBlank()) {
        throw new IllegalArgumentException(
            "a Keygate admin token with the verify scope is required");
      }
      this.token = token.strip();
      return this;
    }

    /**
     * How long results stay cached (default {@value #DEFAULT_CACHE_TTL_SECONDS} s; zero disables
     * the cache). This is the bound on revocation staleness in remote mode.
     */
    public Builder cacheTtl(Duration ttl) {
      if (ttl == null || ttl.isNegative()) {
        throw new IllegalArgumentException("cache TTL must be >= 0, was " + ttl);
      }
      this.cacheTtl = ttl;
      return this;
    }

    /** Most results cached (default {@value #DEFAULT_CACHE_SIZE}). */
    public Builder cacheSize(long size) {
      if (size < 1) {
        throw new IllegalArgumentException("cache size must be >= 1, was " + size);
      }
      this.cacheSize = size;
      return this;
    }

    /** Connect and request timeout (default 2 s). */
    public Builder timeout(Duration t) {
      if (t == null || t.isNegative() || t.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + t);
      }
      this.timeout = t;
      return this;
    }

    /** Key format for the offline check (default: {@link KeyTypes#defaults()} prefixes). */
    public Builder format(KeyFormat f) {
      this.format = Objects.requireNonNull(f, "format");
      return this;
    }

    /** Time source of the cache (tests advance a fake ticker instead of sleeping). */
    public Builder ticker(Ticker t) {
      this.ticker = Objects.requireNonNull(t, "ticker");
      return this;
    }

    /** A preconfigured client (proxies, TLS); by default one with the timeout is built. */
    public Builder httpClient(HttpClient c) {
      this.httpClient = Objects.requireNonNull(c, "httpClient");
      return this;
    }

    /** Builds; {@code IllegalStateException} when the URL or token is missing. */
    public RemoteKeyVerifier build() {
      if (url == null) {
        throw new IllegalStateException("a Keygate server URL is required (keygate.url)");
      }
      if (token == null) {
        throw new IllegalStateException(
            "a Keygate admin token with the verify scope is required (keygate.token)");
      }
      return new RemoteKeyVerifier(this);
    }
  }
}
