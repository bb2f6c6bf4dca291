package io.keygate.core.notify;

import io.keygate.core.secret.KeyRing;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
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
 * rotated by adding a version (values are re-sealed under the new one when next written, or by
 * {@code keygate rotate-data-key --reseal}).
 *
 * <p>Design note: the versions are a {@link KeyRing}, so sealing and opening take no lock, and a
 * value is always sealed and labelled with the version of the one key read.
 *
 * <p><b>Security guarantees.</b> A fresh random 96-bit nonce per value; the associated data (e.g.
 * the owner id) is authenticated, so a sealed value moved to another row does not open. Tampering
 * fails with {@link IllegalStateException}. Thread-safe.
 */
public final class DataCipher {
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final KeyRing<DataKey> keys;
  private final Supplier<SecureRandom> random;

  /** A cipher over these key versions (at least one, versions unique). */
  public DataCipher(List<DataKey> versions, Supplier<SecureRandom> random) {
    this.random = Objects.requireNonNull(random, "random");
    this.keys = new KeyRing<>("data key", "sealing", versions);
  }

  /**
   * Replaces the key versions (after {@code keygate rotate-data-key} added or retired one). Values
   * sealed under a version no longer given stop opening.
   *
   * @throws IllegalArgumentException no version, or a version given twice
   * @throws IllegalStateException the new sealing version is lower than the one in force (values
   *     sealed under it would stop opening); nothing is changed
   * @return whether the set of versions changed
   */
  public boolean reload(List<DataKey> versions) {
    return keys.reload(versions);
  }

  /** The version that seals. */
  public int currentVersion() {
    return keys.currentVersion();
  }

  /** Every configured version, ascending. */
  public List<Integer> versions() {
    return keys.versions();
  }

  /** The version a sealed value names, or -1 if it is not a sealed value. */
  public static int versionOf(String sealed) {
    int colon = sealed.indexOf(':');
    if (!sealed.startsWith("v") || colon < 2) {
      return -1;
    }
    try {
      return Integer.parseInt(sealed.substring(1, colon));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Seals {@code plaintext}, binding it to {@code context}. */
  public String seal(String plaintext, String context) {
    DataKey k = keys.current();
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
    int version = versionOf(sealed);
    if (version < 0) {
      throw new IllegalStateException("not a sealed value");
    }
    int colon = sealed.indexOf(':');
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
      byte[] nonce = Arrays.copyOf(all, NONCE_BYTES);
      Cipher c = cipher(Cipher.DECRYPT_MODE, k, nonce, context);
      byte[] pt = c.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES);
      return new String(pt, StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "sealed value does not open under data key version " + version + " (tampered?)", e);
    }
  }

  private static final String CHECK = "keygate secret check";

  /**
   * A value sealed under the current version (a fixed text bound to that version), recorded in the
   * database so that a node that cannot open what another node sealed is refused at startup (see
   * {@link io.keygate.core.SecretChecks}).
   */
  public String checkValue() {
    return seal(CHECK, checkContext(currentVersion()));
  }

  /** Whether {@code recorded}, a {@link #checkValue} of version {@code version}, opens here. */
  public boolean opensCheck(int version, String recorded) {
    if (versionOf(recorded) != version) {
      return false;
    }
    try {
      return CHECK.equals(open(recorded, checkContext(version)));
    } catch (IllegalStateException e) {
      return false;
    }
  }

  private static String checkContext(int version) {
    return "keygate-secret-check:data-key:v" + version;
  }

  /** Whether {@code sealed} was sealed under an older version than the current one. */
  public boolean needsReseal(String sealed) {
    return versionOf(sealed) != currentVersion();
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
    return "DataCipher[versions=" + keys + "]";
  }

  /** Key versions by number, for the startup log (no key material). */
  public Map<Integer, String> describe() {
    Map<Integer, String> m = new TreeMap<>();
    keys.versions().forEach(v -> m.put(v, "****"));
    return m;
  }
}
