package io.keygate.core.testing;

import io.keygate.core.audit.AuditKey;
import io.keygate.core.audit.AuditKeys;
import java.security.SecureRandom;
import java.util.List;

/** Audit keys for tests: random, made at run time, never written anywhere. */
public final class TestAuditKeys {
  private TestAuditKeys() {}

  /** One random version-1 audit key. */
  public static AuditKeys random() {
    return new AuditKeys(List.of(randomKey(1)));
  }

  /** A random audit key of version {@code version}. */
  public static AuditKey randomKey(int version) {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return new AuditKey(version, b);
  }
}
