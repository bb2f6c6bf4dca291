package io.keygate.core.notify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals data at rest with AES-256-GCM: {@code v<version>:<base64(96-bit nonce ‖ ciphertext ‖
 * tag)>}. The highest key version seals; every configured version opens, so the data key can be
 * rotated by adding a version (values are re-sealed under the new one when next written).
 *
 * <p><b>Security guarantees.</b> A fresh random 96-bit nonce per value; the associated data (e.g.
 * the owner id) is authenticated, so a sealed value moved to another row does not open. Tampering
 * fails with {@link IllegalStateException}. Thread-safe.
 */
public final class DataCipher {
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final TreeMap<Integer, DataKey> keys = new TreeMap<>();
  private final Supplier<SecureRandom> random;

  /** A cipher over these key versions (at least one, versions unique). */
  public DataCipher(List<DataKey> versions, Supplier<SecureRandom> random) {
    Objects.requireNonNull(versions, "versions");
    this.random = Objects.requireNonNull(random, "random");
    for (DataKey k : versions) {
      if (keys.put(k.version(), k) != null) {
        throw new IllegalArgumentException("data key version " + k.version() + " given twice");
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("at least one data key version is required");
    }
  }

  /** The version that seals. */
  public int currentVersion() {
    return keys.lastKey();
  }

  /** Seals {@code plaintext}, binding it to {@code context}. */
  public String seal(String plaintext, String context) {
    DataKey k = keys.lastEntry().getValue();
    byte[] nonce = new byte[NONCE_BYTES];
    random.get().nextBytes(nonce);
    try {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, k, nonce, context);
      byte[] ct = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[NONCE_BYTES + ct.length];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      System.arraycopy(ct, 0, out, NONCE_BYTES, ct.length);
      return "v" + k.version() + ":" + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM sealing failed", e);
    }
  }

  /** Opens a sealed value; {@link IllegalStateException} if tampered or its key is unknown. */
  public String open(String sealed, String context) {
    int colon = sealed.indexOf(':');
    if (!sealed.startsWith("v") || colon < 2) {
      throw new IllegalStateException("not a sealed value");
    }
    int version;
    try {
      version = Integer.parseInt(sealed.substring(1, colon));
    } catch (NumberFormatException e) {
      throw new IllegalStateException("not a sealed value");
    }
    DataKey k = keys.get(version);
    if (k == null) {
      throw new IllegalStateException(
          "value sealed under data key version " + version + ", which is not configured");
    }
    try {
      byte[] all = Base64.getDecoder().decode(sealed.substring(colon + 1));
      if (all.length < NONCE_BYTES + TAG_BITS / 8) {
        throw new IllegalStateException("sealed value is truncated");
      }
      byte[] nonce = java.util.Arrays.copyOf(all, NONCE_BYTES);
      Cipher c = cipher(Cipher.DECRYPT_MODE, k, nonce, context);
      byte[] pt = c.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES);
      return new String(pt, StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "sealed value does not open under data key version " + version + " (tampered?)", e);
    }
  }

  /** Whether {@code sealed} was sealed under an older version than the current one. */
  public boolean needsReseal(String sealed) {
    return !sealed.startsWith("v" + currentVersion() + ":");
  }

  private static Cipher cipher(int mode, DataKey k, byte[] nonce, String context)
      throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, new SecretKeySpec(k.bytes(), "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
    return c;
  }

  @Override
  public String toString() {
    return "DataCipher[versions=" + keys.keySet() + "]";
  }

  /** Key versions by number, for the startup log (no key material). */
  public Map<Integer, String> describe() {
    Map<Integer, String> m = new TreeMap<>();
    keys.keySet().forEach(v -> m.put(v, "****"));
    return m;
  }
}
