package io.keygate.core.key;

import java.util.Objects;

/**
 * A raw API key. Its {@link #toString()} never shows the value, and it has no value-based {@code
 * equals}, so it cannot slip into logs or be compared in variable time by accident. Reading the raw
 * value is the explicit, greppable call {@link #reveal()}.
 *
 * <p>Security guarantee: the only places that call {@code reveal()} are the one-time display at
 * creation/rotation, hashing, and the scanner's report-to-server path.
 */
public final class ApiKeySecret {
  private final String value;

  /** Wraps a raw key. */
  public ApiKeySecret(String value) {
    this.value = Objects.requireNonNull(value, "value");
  }

  /** The raw key. Call only to display it once, to hash it, or to hand it to its owner. */
  public String reveal() {
    return value;
  }

  /**
   * A redacted form safe for logs: the key's prefix and the length. The prefix is shown only when
   * the value is shaped like a key (a prefix of at most 32 characters ending in the last {@code _},
   * followed by a full body and checksum, which never contain {@code _}).
   */
  @Override
  public String toString() {
    int end = value.lastIndexOf('_') + 1;
    boolean keyShaped = end <= 32 && value.length() - end >= KeyFormat.TAIL_LENGTH;
    String prefix = keyShaped ? value.substring(0, end) : "";
    return "ApiKeySecret[" + prefix + "…, " + value.length() + " chars]";
  }
}
