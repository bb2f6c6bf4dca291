package io.keygate.core.leaks;

import io.keygate.core.model.ApiKeyRecord;

/**
 * The answer for one reported key.
 *
 * @param status what was found and done
 * @param key the stored key, when the report named one (null for {@link Status#NOT_A_KEY} and
 *     {@link Status#UNKNOWN})
 * @param incident the incident recorded for it, or {@code null} (unknown key, or a repeat)
 */
public record LeakResult(Status status, ApiKeyRecord key, LeakIncident incident) {
  /** Classification of a reported key. */
  public enum Status {
    /** Not a well-formed Keygate key with a valid checksum (a look-alike or garbage). */
    NOT_A_KEY,
    /** Well-formed, but no such key is stored. */
    UNKNOWN,
    /** A new incident was recorded; {@link LeakIncident#action()} says what was done. */
    RECORDED,
    /** The same leak (key, source, location) was reported before: nothing changed. */
    REPEAT;
  }

  /** Whether the reported value is a Keygate key that exists (revoked or not). */
  public boolean exists() {
    return key != null;
  }
}
