package io.keygate.core.verify;

import java.util.List;

/**
 * The state of one named rate limit of a key after a verification.
 *
 * @param name the limit's name, e.g. {@code default} or {@code burst}
 * @param limit requests admitted per window
 * @param remaining requests still admitted in the current window
 * @param reset whole seconds (at least 1) until the window ends and the limit is refilled
 */
public record LimitState(String name, long limit, long remaining, long reset) {

  /**
   * The limit a client is closest to running into: the lowest {@code remaining}, ties broken by the
   * longest {@code reset}; {@code null} for an empty list. This is the limit the IETF {@code
   * RateLimit-*} headers describe.
   */
  public static LimitState mostRestrictive(List<LimitState> states) {
    LimitState best = null;
    for (LimitState s : states) {
      if (best == null
          || s.remaining < best.remaining
          || (s.remaining == best.remaining && s.reset > best.reset)) {
        best = s;
      }
    }
    return best;
  }
}
