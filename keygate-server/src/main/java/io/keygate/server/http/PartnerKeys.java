package io.keygate.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.Ticker;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.outbound.OutboundHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public keys one secret scanning partner signs with, in GitHub's meta format ({@code
 * {"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}}), from a file or a URL.
 *
 * <p><b>Design.</b> A Caffeine {@link AsyncLoadingCache} with one entry: the keys in force and when
 * they go stale. Its loader never fails: a failed fetch is recorded as a value that keeps the keys
 * it had, so Caffeine's {@code refreshAfterWrite} (on a {@link Ticker} read from the injected
 * {@link Clock}) counts failed fetches like successful ones and starts the next one no earlier than
 * the refetch interval after the last, one at a time (Caffeine coalesces concurrent loads and
 * refreshes). A lookup reads the entry quietly (starting nothing) while the keys are fresh and name
 * the identifier; otherwise it reads through the cache, which refreshes when the refetch interval
 * has passed. So the keys are loaded when the server starts ({@link #warmUp}) and reloaded when
 * they are older than the TTL or a request names an identifier they lack (a partner's key rotation
 * is picked up at once).
 *
 * <p><b>Guarantees.</b> Fetches, successful or failed, are at least the refetch interval apart, so
 * neither forged identifiers nor a failing or hanging key URL can make Keygate fetch once per
 * request. A lookup never waits for the network, with one exception: a request that finds no key
 * and no fetch running, and so starts one, waits for it (at most {@link #FETCH_TIMEOUT}; requests
 * racing it to start that fetch may wait for it too); while a fetch runs, every request is answered
 * from the keys in force at once. Stale keys keep working while they are refreshed in the
 * background, and a failed reload keeps them. Only EC keys on P-256 are accepted.
 *
 * <p><b>Security guarantees.</b> {@link #verify} checks an ECDSA P-256/SHA-256 signature over the
 * exact bytes received; any malformed input is a failed verification, never an exception. A key URL
 * is fetched through {@link OutboundHttp} (its address policy, no redirects, a size bound).
 * Thread-safe.
 */
final class PartnerKeys {
  private static final Logger LOG = LoggerFactory.getLogger(PartnerKeys.class);

  /** Bound of one fetch of a key URL. */
  static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

  /** Largest key document accepted (GitHub's is about 1 KB). */
  static final int MAX_KEYS_BYTES = 1024 * 1024;

  /** The cache's one key. */
  private static final String KEYS = "keys";

  /** The keys in force and the instant they go stale (never loaded: no keys, stale already). */
  private record Snapshot(Map<String, PublicKey> keys, Instant staleAt) {
    static final Snapshot NONE = new Snapshot(Map.of(), Instant.MIN);
  }

  private final LeakConfig.Sender sender;
  private final Duration ttl;
  private final Duration refetch;
  private final Clock clock;
  private final OutboundHttp http;
  private final AsyncLoadingCache<String, Snapshot> cache;

  PartnerKeys(
      LeakConfig.Sender sender, Duration ttl, Duration refetch, Clock clock, OutboundHttp http) {
    this.sender = sender;
    this.ttl = ttl;
    this.refetch = refetch;
    this.clock = clock;
    this.http = http;
    Instant origin = clock.instant();
    this.cache =
        Caffeine.newBuilder()
            .refreshAfterWrite(refetch)
            .ticker(() -> Duration.between(origin, clock.instant()).toNanos())
            .executor(Runnable::run)
            .buildAsync(
                new AsyncCacheLoader<>() {
                  @Override
                  public CompletableFuture<Snapshot> asyncLoad(String key, Executor executor) {
                    return fetch(Snapshot.NONE);
                  }

                  @Override
                  public CompletableFuture<Snapshot> asyncReload(
                      String key, Snapshot old, Executor executor) {
                    return fetch(old);
                  }
                });
  }

  /** Starts loading the keys in the background (the server calls this once, at startup). */
  void warmUp() {
    cache.get(KEYS);
  }

  /**
   * The key named {@code identifier}, or {@code null}. Stale keys are refreshed in the background;
   * an unknown identifier starts a fetch if none ran within the refetch interval, and only then
   * does this call wait for it.
   */
  PublicKey find(String identifier) {
    Policy<String, Snapshot> policy = cache.synchronous().policy();
    Snapshot s = policy.getIfPresentQuietly(KEYS);
    if (s == null) { // the first fetch is running, or (before warmUp) this request starts it
      return cache.asMap().containsKey(KEYS) ? null : await(cache.get(KEYS)).keys().get(identifier);
    }
    PublicKey key = s.keys().get(identifier);
    boolean fresh = key != null && clock.instant().isBefore(s.staleAt());
    if (fresh || policy.refreshes().containsKey(KEYS)) {
      return key; // fresh, or a fetch is running: answered at once
    }
    cache.synchronous().getIfPresent(KEYS); // refreshes if the last fetch is old enough
    if (key != null) {
      return key;
    }
    CompletableFuture<Snapshot> started = policy.refreshes().get(KEYS);
    Snapshot now = started == null ? policy.getIfPresentQuietly(KEYS) : await(started);
    return now.keys().get(identifier);
  }

  private static Snapshot await(CompletableFuture<Snapshot> fetch) {
    try {
      return fetch.get(FETCH_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return Snapshot.NONE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Snapshot.NONE;
    }
  }

  /** Fetches the keys; completes with them, or after a failure (logged) with {@code old}. */
  private CompletableFuture<Snapshot> fetch(Snapshot old) {
    return read()
        .handle(
            (json, failure) -> {
              String problem;
              if (failure == null) {
                try {
                  return new Snapshot(parse(json), clock.instant().plus(ttl));
                } catch (IOException | RuntimeException e) {
                  problem = e.getMessage();
                }
              } else {
                Throwable c = failure.getCause() != null ? failure.getCause() : failure;
                problem = c.getMessage();
              }
              LOG.warn(
                  "secret scanning sender {}: cannot load public keys ({}); keeping {} known"
                      + " key(s), next attempt after {}",
                  sender.name(),
                  problem,
                  old.keys().size(),
                  clock.instant().plus(refetch));
              return old;
            });
  }

  private CompletableFuture<byte[]> read() {
    if (sender.keysFile() != null) {
      try {
        return CompletableFuture.completedFuture(Files.readAllBytes(sender.keysFile()));
      } catch (IOException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    try {
      return http.get(
          sender.keysUrl(), Map.of("Accept", "application/json"), MAX_KEYS_BYTES, FETCH_TIMEOUT);
    } catch (RuntimeException e) { // a failure like any other: recorded, retried after the interval
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Parses GitHub's meta format; entries that are not EC public keys are skipped. */
  static Map<String, PublicKey> parse(byte[] json) throws IOException {
    JsonNode root = Json.MAPPER.readTree(json);
    JsonNode arr = root == null ? null : root.get("public_keys");
    if (arr == null || !arr.isArray()) {
      throw new IOException("no public_keys array");
    }
    Map<String, PublicKey> out = new HashMap<>();
    for (JsonNode k : arr) {
      String id = k.path("key_identifier").asText("");
      String pem = k.path("key").asText("");
      if (id.isEmpty() || pem.isEmpty()) {
        continue;
      }
      try {
        out.put(id, fromPem(pem));
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        LOG.warn("skipping public key {}: {}", id, e.getMessage());
      }
    }
    return Map.copyOf(out);
  }

  /** An EC public key from PEM ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo). */
  static PublicKey fromPem(String pem) throws GeneralSecurityException {
    String b64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("EC")
        .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
  }

  /** Whether {@code signatureB64} is a valid base64 DER ECDSA/SHA-256 signature of {@code body}. */
  static boolean verify(PublicKey key, byte[] body, String signatureB64) {
    try {
      byte[] sig = Base64.getDecoder().decode(signatureB64.strip());
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initVerify(key);
      s.update(body);
      return s.verify(sig);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }
}
