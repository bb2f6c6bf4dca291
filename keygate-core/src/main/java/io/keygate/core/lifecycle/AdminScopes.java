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

  /** Every admin scope, granted when a token is created without explicit scopes. */
  public static final List<String> ALL =
      List.of(KEYS_READ, KEYS_WRITE, VERIFY, AUDIT_READ, LEAKS_WRITE);

  private AdminScopes() {}
}
