package io.keygate.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.server.config.LeakConfig;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public keys one secret scanning partner signs with, in GitHub's meta format ({@code
 * {"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}}), from a file or a URL.
 *
 * <p><b>Design.</b> Keys are cached for the configured TTL. An identifier not in the cache triggers
 * one reload, at most once per refetch interval, so a partner's key rotation is picked up at once
 * while forged identifiers cannot make Keygate hammer the key URL. A failed reload keeps the keys
 * it had. Only EC keys on P-256 are accepted.
 *
 * <p><b>Security guarantees.</b> {@link #verify} checks an ECDSA P-256/SHA-256 signature over the
 * exact bytes received; any malformed input is a failed verification, never an exception.
 * Thread-safe.
 */
final class PartnerKeys {
  private static final Logger LOG = LoggerFactory.getLogger(PartnerKeys.class);
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10))
          .followRedirects(HttpClient.Redirect.NORMAL)
          .build();

  private final LeakConfig.Sender sender;
  private final Duration ttl;
  private final Duration refetch;
  private final Clock clock;
  private Map<String, PublicKey> keys = Map.of();
  private Instant loadedAt;
  private Instant lastAttempt;

  PartnerKeys(LeakConfig.Sender sender, Duration ttl, Duration refetch, Clock clock) {
    this.sender = sender;
    this.ttl = ttl;
    this.refetch = refetch;
    this.clock = clock;
  }

  /** The key named {@code identifier}, reloading when stale or unknown; {@code null} if none. */
  synchronized PublicKey find(String identifier) {
    Instant now = clock.instant();
    if (loadedAt == null || !now.isBefore(loadedAt.plus(ttl))) {
      reload(now);
    }
    PublicKey k = keys.get(identifier);
    if (k == null && (lastAttempt == null || !now.isBefore(lastAttempt.plus(refetch)))) {
      reload(now);
      k = keys.get(identifier);
    }
    return k;
  }

  private void reload(Instant now) {
    lastAttempt = now;
    try {
      byte[] json = fetch();
      keys = parse(json);
      loadedAt = now;
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "secret scanning sender {}: cannot load public keys ({}); keeping {} known key(s)",
          sender.name(),
          e.getMessage(),
          keys.size());
      if (loadedAt == null) {
        loadedAt = now.minus(ttl).plus(refetch); // retry after the refetch interval
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private byte[] fetch() throws IOException, InterruptedException {
    if (sender.keysFile() != null) {
      return Files.readAllBytes(sender.keysFile());
    }
    HttpResponse<byte[]> r =
        HTTP.send(
            HttpRequest.newBuilder(sender.keysUrl())
                .timeout(Duration.ofSeconds(10))
                .header("Accept", "application/json")
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IOException("HTTP " + r.statusCode() + " from " + sender.keysUrl());
    }
    return r.body();
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
