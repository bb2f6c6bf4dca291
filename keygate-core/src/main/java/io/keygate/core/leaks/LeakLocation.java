package io.keygate.core.leaks;

import io.keygate.core.response.LeakResponder;

/**
 * Where a leaked key was found. Every component is optional; strings are trimmed to sane lengths by
 * {@link LeakResponder} before they are stored.
 *
 * @param url a link to the place (GitHub's {@code url}, a TruffleHog link), or {@code null}
 * @param file a file path, or {@code null}
 * @param line 1-based line in {@code file}, or {@code null}
 * @param commit commit sha, or {@code null}
 */
public record LeakLocation(String url, String file, Long line, String commit) {
  /** No location known. */
  public static final LeakLocation UNKNOWN = new LeakLocation(null, null, null, null);

  /** {@code file:line@commit} or the URL, for messages; never key material. */
  public String describe() {
    StringBuilder b = new StringBuilder();
    if (url != null) {
      b.append(url);
    }
    if (file != null) {
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(file);
      if (line != null) {
        b.append(':').append(line);
      }
    }
    if (commit != null) {
      b.append('@').append(commit);
    }
    return b.toString();
  }
}
