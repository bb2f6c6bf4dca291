package io.keygate.core.key;

import java.util.Objects;

/**
 * A raw API key. Its {@link #toString()} never shows the value, and it has no value-based
 * {@code equals}, so it cannot slip into logs or be compared in variable time by accident.
 * Reading the raw value is the explicit, greppable call {@link #reveal()}.
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

  /** A redacted form safe for logs: the first 8 characters and the length. */
  @Override
  public String toString() {
    return "ApiKeySecret[" + value.substring(0, Math.min(8, value.length())) + "…]";
  }
}
