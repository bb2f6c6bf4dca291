package io.keygate.core.testing;

import io.keygate.core.lifecycle.ImportKey;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.verify.LegacyKeys;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Key records for tests that need one as data, without going through the lifecycle: {@code
 * TestKeys.key(id, createdAt, k -> k.owner = "acme")}. Unless changed, a key is an active {@code
 * live_secret} with a random hash under pepper version 1, owned by {@code owner}, scoped {@code
 * read}, with no hint, expiry, scheduled revocation, rotation or use. A {@link KeyStatus#REVOKED}
 * key was revoked at its creation for the reason {@code test}. {@link #imported} makes an import
 * request the same way.
 */
public final class TestKeys {
  private static final SecureRandom RANDOM = new SecureRandom();

  private TestKeys() {}

  /** The fields of a key record a test may change, with their defaults; not thread-safe. */
  public static final class Fields {
    public String type = "live_secret";
    public String hint;
    public String hash;
    public int pepperVersion = 1;
    public String owner = "owner";
    public KeySettings settings =
        new KeySettings("k", List.of("read"), List.of(), List.of(), Map.of());
    public KeyStatus status = KeyStatus.ACTIVE;
    public Instant expiresAt;
    public Instant revokesAt;

    private Fields() {}
  }

  /**
   * Key {@code keyId}, created (and last updated) at {@code createdAt}, with the defaults after
   * {@code change}; a random 32-byte hex hash when {@code change} sets none.
   */
  public static ApiKeyRecord key(String keyId, Instant createdAt, Consumer<Fields> change) {
    Fields f = new Fields();
    change.accept(f);
    boolean revoked = f.status == KeyStatus.REVOKED;
    return new ApiKeyRecord(
        keyId,
        f.type,
        f.hint,
        f.hash != null ? f.hash : randomHash(),
        f.pepperVersion,
        f.owner,
        f.settings,
        f.status,
        createdAt,
        createdAt,
        f.expiresAt,
        revoked ? createdAt : null,
        revoked ? "test" : null,
        f.revokesAt,
        null,
        null,
        null,
        0);
  }

  /**
   * A request to import the legacy key {@code raw} (stored as its SHA-256) under {@code prefix}:
   * default type, scoped {@code read}, no allowlist or limits, expiring in 30 days, no metadata.
   */
  public static ImportKey imported(String raw, String prefix, String owner, String name) {
    return new ImportKey(
        LegacyKeys.sha256Hex(raw),
        prefix,
        null,
        owner,
        name,
        List.of("read"),
        List.of(),
        List.of(),
        null,
        30,
        Map.of());
  }

  private static String randomHash() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
