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
 * @param exposedAt when the key was exposed (commit date, the finder's timestamp), or {@code null}
 *     for "when reported"
 * @param exposure exposed to others, or caught before it left the author's machine
 */
public record LeakReport(
    ApiKeySecret secret,
    String source,
    LeakLocation location,
    Instant exposedAt,
    Exposure exposure) {
  /** Checks required fields; a null location becomes {@link LeakLocation#UNKNOWN}. */
  public LeakReport {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(exposure, "exposure");
    location = location == null ? LeakLocation.UNKNOWN : location;
  }

  /** A report of an {@link Exposure#EXPOSED} key. */
  public LeakReport(ApiKeySecret secret, String source, LeakLocation location, Instant exposedAt) {
    this(secret, source, location, exposedAt, Exposure.EXPOSED);
  }
}
