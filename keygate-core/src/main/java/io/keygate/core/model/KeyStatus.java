package io.keygate.core.model;

import java.util.Locale;

/**
 * Lifecycle state of a key. {@link #EXPIRED} is never stored: it is derived from {@code expires_at}
 * at read time, as is the revocation of a rotated key whose grace period has ended but which the
 * sweep has not recorded yet.
 */
public enum KeyStatus {
  ACTIVE,
  DISABLED,
  REVOKED,
  EXPIRED;

  /** The snake_case name used in the API and the store. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses an API/store name; {@code IllegalArgumentException} for unknown names. */
  public static KeyStatus fromWire(String s) {
    for (KeyStatus k : values()) {
      if (k.wire().equals(s)) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown status: " + s);
  }
}
