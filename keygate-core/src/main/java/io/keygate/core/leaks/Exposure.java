package io.keygate.core.leaks;

import java.util.Locale;

/**
 * Where a leaked key was found, which decides what the response policy does with it.
 *
 * <p>The classification follows the place, never the name of the tool that reported it: a key at a
 * public URL or in a pushed commit is {@link #EXPOSED} (anyone may hold it: revoke), a key caught
 * in a staged change or by a pre-commit/CI check before it left the machine is {@link #PREVENTED}
 * (nobody else saw it: record, tell the owner, keep the key).
 */
public enum Exposure {
  /** Found where others can read it (public URL, pushed commit, anonymous public report). */
  EXPOSED,
  /** Caught before it left the author's machine (staged change, pre-commit hook, CI gate). */
  PREVENTED;

  private final String wire = name().toLowerCase(Locale.ROOT);

  /** The snake_case form used in the API and the store. */
  public String wire() {
    return wire;
  }

  /** Parses {@link #wire()}. */
  public static Exposure fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
