package io.keygate.core.notify;

import io.keygate.core.secret.Versioned;
import io.keygate.core.secret.VersionedSecrets;

/**
 * One version of the data-encryption key (AES-256). Holds secret material: no {@code toString} that
 * shows it, and {@link #bytes} is the one greppable way to read it.
 */
public final class DataKey implements Versioned {
  private final int version;
  private final byte[] key;

  /**
   * @param version positive version number stored with every value sealed under this key
   * @param key exactly 32 bytes
   */
  public DataKey(int version, byte[] key) {
    VersionedSecrets.requireVersion("data key", version);
    if (key == null || key.length != 32) {
      throw new IllegalArgumentException(
          "data key must be 32 bytes (AES-256), was " + (key == null ? "null" : key.length));
    }
    this.version = version;
    this.key = key.clone();
  }

  /** The version. */
  @Override
  public int version() {
    return version;
  }

  /** The raw key bytes (a copy). */
  byte[] bytes() {
    return key.clone();
  }

  @Override
  public String toString() {
    return "DataKey[v" + version + ", ****]";
  }
}
