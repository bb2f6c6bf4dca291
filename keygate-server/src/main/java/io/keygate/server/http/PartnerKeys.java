package io.keygate.server.http;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public keys one secret scanning partner signs with, in GitHub's meta format ({@code
 * {"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}}), from a file or a URL.
 *
 * <p><b>Design.</b> The keys are an immutable snapshot, loaded when the server starts and reloaded
 * when they are older than the TTL or a request names an identifier they lack (a partner's key
 * rotation is picked up at once). Fetches, successful or failed, are at least the refetch interval
 * apart, so neither forged identifiers nor a failing or hanging key URL can make Keygate fetch it
 * once per request. A lookup never waits for the network, with one exception: the request that
 * starts a fetch because it found no key waits for that fetch (at most its timeout); every other
 * request is answered from the snapshot at once. A failed reload keeps the keys it had. Only EC
 * keys on P-256 are accepted.
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

  /** The keys in force, when they were loaded (null: never) and when a fetch may start again. */
  private record Snapshot(Map<String, PublicKey> keys, Instant loadedAt, Instant nextFetch) {}

  private final LeakConfig.Sender sender;
  private final Duration ttl;
  private final Duration refetch;
  private final Clock clock;
  private final OutboundHttp http;
  private volatile Snapshot snapshot = new Snapshot(Map.of(), null, Instant.MIN);
  private boolean fetching;

  PartnerKeys(
      LeakConfig.Sender sender, Duration ttl, Duration refetch, Clock clock, OutboundHttp http) {
    this.sender = sender;
    this.ttl = ttl;
    this.refetch = refetch;
    this.clock = clock;
    this.http = http;
  }

  /** Starts loading the keys in the background (the server calls this once, at startup). */
  void warmUp() {
    startFetch(clock.instant());
  }

  /**
   * The key named {@code identifier}, or {@code null}. A stale snapshot is refreshed in the
   * background; an unknown identifier starts a fetch if none ran within the refetch interval, and
   * only then does this call wait for it.
   */
  PublicKey find(String identifier) {
    Instant now = clock.instant();
    Snapshot s = snapshot;
    PublicKey k = s.keys().get(identifier);
    if (k != null && s.loadedAt() != null && now.isBefore(s.loadedAt().plus(ttl))) {
      return k;
    }
    CompletableFuture<Snapshot> started = startFetch(now);
    if (k != null || started == null) {
      return k;
    }
    try {
      return started
          .get(FETCH_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS)
          .keys()
          .get(identifier);
    } catch (ExecutionException | TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Starts a fetch unless one is running or the last one started within the refetch interval. */
  private synchronized CompletableFuture<Snapshot> startFetch(Instant now) {
    Snapshot s = snapshot;
    if (fetching || now.isBefore(s.nextFetch())) {
      return null;
    }
    fetching = true;
    snapshot = new Snapshot(s.keys(), s.loadedAt(), now.plus(refetch));
    return fetch().handle(this::loaded);
  }

  private synchronized Snapshot loaded(byte[] json, Throwable failure) {
    fetching = false;
    Snapshot s = snapshot;
    String problem;
    if (failure == null) {
      try {
        snapshot = new Snapshot(parse(json), clock.instant(), s.nextFetch());
        return snapshot;
      } catch (IOException | RuntimeException e) {
        problem = e.getMessage();
      }
    } else {
      Throwable c = failure.getCause() != null ? failure.getCause() : failure;
      problem = c.getMessage();
    }
    LOG.warn(
        "secret scanning sender {}: cannot load public keys ({}); keeping {} known key(s), next"
            + " attempt after {}",
        sender.name(),
        problem,
        s.keys().size(),
        s.nextFetch());
    return s;
  }

  private CompletableFuture<byte[]> fetch() {
    if (sender.keysFile() != null) {
      try {
        return CompletableFuture.completedFuture(Files.readAllBytes(sender.keysFile()));
      } catch (IOException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return http.get(
        sender.keysUrl(), Map.of("Accept", "application/json"), MAX_KEYS_BYTES, FETCH_TIMEOUT);
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
