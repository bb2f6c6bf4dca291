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

  /** Every admin scope, granted when a token is created without explicit scopes. */
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
          REPORT_READ);

  private AdminScopes() {}
}
