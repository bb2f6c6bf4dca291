package io.keygate.core.verify;

import java.util.Locale;

/**
 * The two kinds of credential Keygate checks, which never stand in for each other: API keys, which
 * Keygate's customers present to their APIs ({@link Verifier#verify}), and admin tokens, which
 * authenticate calls to Keygate's own API ({@link Verifier#authenticate}). Each kind has its own
 * brute-force counters, so failures of one kind never block an address for the other.
 */
public enum CredentialKind {
  /** A key issued to a customer of the protected API. */
  API_KEY,

  /** A Keygate admin token (the {@link io.keygate.core.key.KeyTypes#ADMIN} type). */
  ADMIN_TOKEN;

  /** The snake_case name used in audit details, e.g. {@code admin_token}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
