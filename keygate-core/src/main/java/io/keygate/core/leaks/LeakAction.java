package io.keygate.core.leaks;

import java.util.Locale;

/** What the response policy did about a confirmed leak, as recorded on its incident. */
public enum LeakAction {
  /** A live key was revoked at once. */
  REVOKED,
  /** A live key was rotated; the leaked key is revoked when the (short) grace period ends. */
  ROTATED,
  /** The key was already revoked; nothing was changed. */
  ALREADY_REVOKED,
  /** The key was already rotated and is due for revocation; nothing was changed. */
  ALREADY_ROTATED,
  /**
   * A test key (it grants no production access): recorded, not acted on, unless the policy revokes
   * test keys too ({@link LeakPolicy#revokeTestKeys()}, then {@link #REVOKED}).
   */
  TEST_KEY_RECORDED,
  /**
   * A live key caught before it was exposed ({@link Exposure#PREVENTED}): recorded and its owner
   * told, the key kept.
   */
  PREVENTED_RECORDED,
  /** A canary key was found: its alarm was raised; it stays in place as a tripwire. */
  CANARY_RECORDED;

  private final String wire = name().toLowerCase(Locale.ROOT);

  /** The snake_case form used in the API and the store. */
  public String wire() {
    return wire;
  }

  /** Parses {@link #wire()}. */
  public static LeakAction fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
