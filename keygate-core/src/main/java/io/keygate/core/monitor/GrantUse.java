package io.keygate.core.monitor;

import java.time.Instant;
import java.util.Objects;

/**
 * When a key last used one of its grants: the scope that satisfied a request ({@link #SCOPE}) or
 * the IP allowlist entry that matched it ({@link #IP}).
 *
 * @param keyId the key
 * @param kind {@link #SCOPE} or {@link #IP}
 * @param value the scope or allowlist entry, as granted
 * @param lastUsedAt last use
 */
public record GrantUse(String keyId, String kind, String value, Instant lastUsedAt) {
  /** A scope. */
  public static final String SCOPE = "scope";

  /** An IP allowlist entry. */
  public static final String IP = "ip";

  /** Checks fields. */
  public GrantUse {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(lastUsedAt, "lastUsedAt");
    if (!SCOPE.equals(kind) && !IP.equals(kind)) {
      throw new IllegalArgumentException("kind must be scope or ip, was " + kind);
    }
  }
}
