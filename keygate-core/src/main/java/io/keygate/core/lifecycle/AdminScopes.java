package io.keygate.core.lifecycle;

import java.util.List;

/** Scopes of Keygate admin tokens. */
public final class AdminScopes {
  /** Read keys and their settings. */
  public static final String KEYS_READ = "keys:read";

  /** Create, change, rotate, revoke keys. */
  public static final String KEYS_WRITE = "keys:write";

  /** Call {@code /v1/verify}. */
  public static final String VERIFY = "verify";

  /** Read the audit log. */
  public static final String AUDIT_READ = "audit:read";

  /** Report leaked keys. */
  public static final String LEAKS_WRITE = "leaks:write";

  /** Read owners and their notification channels (webhook secrets are never returned). */
  public static final String OWNERS_READ = "owners:read";

  /** Create and change owners and their notification channels. */
  public static final String OWNERS_WRITE = "owners:write";

  /** Read notification events and their delivery state. */
  public static final String EVENTS_READ = "events:read";

  /** Read anomaly alerts. */
  public static final String ALERTS_READ = "alerts:read";

  /** Acknowledge anomaly alerts. */
  public static final String ALERTS_WRITE = "alerts:write";

  /** Read the security report. */
  public static final String REPORT_READ = "report:read";

  /** List and show admin tokens (never their secrets). */
  public static final String TOKENS_READ = "tokens:read";

  /**
   * Create, rotate and revoke admin tokens, never beyond the caller's own scopes, owner and
   * lifetime. Not granted by default to tokens limited to one owner.
   */
  public static final String TOKENS_WRITE = "tokens:write";

  /** Every admin scope, granted when an unrestricted token is created without explicit scopes. */
  public static final List<String> ALL =
      List.of(
          KEYS_READ,
          KEYS_WRITE,
          VERIFY,
          AUDIT_READ,
          LEAKS_WRITE,
          OWNERS_READ,
          OWNERS_WRITE,
          EVENTS_READ,
          ALERTS_READ,
          ALERTS_WRITE,
          REPORT_READ,
          TOKENS_READ,
          TOKENS_WRITE);

  /**
   * The scopes a token gets when it is created without explicit scopes: {@link #ALL} for an
   * unrestricted token, all but {@link #TOKENS_WRITE} for a token limited to one owner (a
   * customer's self-service token does not mint further tokens unless asked for explicitly).
   *
   * @param ownerId the owner the token is limited to, or {@code null}
   */
  public static List<String> defaults(String ownerId) {
    return ownerId == null ? ALL : ALL.stream().filter(s -> !s.equals(TOKENS_WRITE)).toList();
  }

  private AdminScopes() {}
}
