package io.keygate.core.leaks;

import io.keygate.core.key.ApiKeySecret;
import java.time.Instant;
import java.util.Objects;

/**
 * One reported leak: a raw key, who found it and where.
 *
 * @param secret the raw key as found (may be a look-alike; it is confirmed offline first)
 * @param source the finder, e.g. {@code github}, {@code gitleaks}, {@code trufflehog}, {@code
 *     keygate-scan}
 * @param location where it was found
 * @param foundAt when the finder detected it, or {@code null} for "when reported"
 */
public record LeakReport(
    ApiKeySecret secret, String source, LeakLocation location, Instant foundAt) {
  /** Checks required fields; a null location becomes {@link LeakLocation#UNKNOWN}. */
  public LeakReport {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(source, "source");
    location = location == null ? LeakLocation.UNKNOWN : location;
  }
}
