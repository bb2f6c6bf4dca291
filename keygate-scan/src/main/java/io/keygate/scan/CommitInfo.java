package io.keygate.scan;

import java.time.OffsetDateTime;
import java.util.Objects;

/**
 * The commit that introduced a key, as reported by history scans.
 *
 * @param sha full 40-hex commit id
 * @param author author name
 * @param email author e-mail address
 * @param date author date with the author's offset
 * @param message first line of the commit message
 */
public record CommitInfo(
    String sha, String author, String email, OffsetDateTime date, String message) {
  /** Validates that every component is present. */
  public CommitInfo {
    Objects.requireNonNull(sha, "sha");
    Objects.requireNonNull(author, "author");
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(date, "date");
    Objects.requireNonNull(message, "message");
  }
}
