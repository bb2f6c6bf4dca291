package io.keygate.server.testing;

import io.keygate.server.http.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Stands in for GitHub's secret scanning sender: a fresh P-256 key pair, the public keys document
 * Keygate reads ({@code KEYGATE_GITHUB_KEYS_FILE}), and the {@code Github-Public-Key-Signature} of
 * a report body. Immutable; safe to share.
 */
public final class GitHubSigner {
  /** The {@code key_identifier} of this signer's key. */
  public final String keyId;

  private final KeyPair pair;

  /** A signer with a new key named {@code keyId}. */
  public GitHubSigner(String keyId) {
    this.keyId = keyId;
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      this.pair = g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the keys document listing this signer's key as current to {@code file}. */
  public void writeKeysFile(Path file) throws IOException {
    String pem =
        "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pair.getPublic().getEncoded())
            + "\n-----END PUBLIC KEY-----\n";
    Files.writeString(
        file,
        Json.MAPPER.writeValueAsString(
            Map.of(
                "public_keys",
                List.of(Map.of("key_identifier", keyId, "key", pem, "is_current", true)))));
  }

  /** The base64 ECDSA (SHA-256) signature of {@code body}, as GitHub sends it. */
  public String sign(byte[] body) {
    try {
      Signature sig = Signature.getInstance("SHA256withECDSA");
      sig.initSign(pair.getPrivate());
      sig.update(body);
      return Base64.getEncoder().encodeToString(sig.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
