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

/**
 * Key records for tests that need one as data, without going through the lifecycle: {@code
 * TestKeys.key(id, createdAt).owner("acme").build()}. Unless set, a key is an active {@code
 * live_secret} with a random hash under pepper version 1, owned by {@code owner}, scoped {@code
 * read}, with no hint, expiry, scheduled revocation, rotation or use. A {@link KeyStatus#REVOKED}
 * key was revoked at its creation for the reason {@code test}. {@link #imported} makes an import
 * request the same way.
 */
public final class TestKeys {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The settings a key gets unless {@link Builder#settings} says otherwise. */
  public static final KeySettings SETTINGS =
      new KeySettings("k", List.of("read"), List.of(), List.of(), Map.of());

  private TestKeys() {}

  /** A builder for key {@code keyId}, created (and last updated) at {@code createdAt}. */
  public static Builder key(String keyId, Instant createdAt) {
    return new Builder(keyId, createdAt);
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

  /** Collects a record's fields; not thread-safe. */
  public static final class Builder {
    private final String keyId;
    private final Instant createdAt;
    private String type = "live_secret";
    private String hint;
    private String hash;
    private int pepperVersion = 1;
    private String owner = "owner";
    private KeySettings settings = SETTINGS;
    private KeyStatus status = KeyStatus.ACTIVE;
    private Instant expiresAt;
    private Instant revokesAt;

    private Builder(String keyId, Instant createdAt) {
      this.keyId = keyId;
      this.createdAt = createdAt;
    }

    public Builder type(String type) {
      this.type = type;
      return this;
    }

    public Builder hint(String hint) {
      this.hint = hint;
      return this;
    }

    public Builder hash(String hash) {
      this.hash = hash;
      return this;
    }

    public Builder pepperVersion(int pepperVersion) {
      this.pepperVersion = pepperVersion;
      return this;
    }

    public Builder owner(String owner) {
      this.owner = owner;
      return this;
    }

    public Builder settings(KeySettings settings) {
      this.settings = settings;
      return this;
    }

    public Builder status(KeyStatus status) {
      this.status = status;
      return this;
    }

    public Builder expiresAt(Instant expiresAt) {
      this.expiresAt = expiresAt;
      return this;
    }

    public Builder revokesAt(Instant revokesAt) {
      this.revokesAt = revokesAt;
      return this;
    }

    /** The record; a random 32-byte hex hash when none was set. */
    public ApiKeyRecord build() {
      boolean revoked = status == KeyStatus.REVOKED;
      return new ApiKeyRecord(
          keyId,
          type,
          hint,
          hash != null ? hash : randomHash(),
          pepperVersion,
          owner,
          settings,
          status,
          createdAt,
          createdAt,
          expiresAt,
          revoked ? createdAt : null,
          revoked ? "test" : null,
          revokesAt,
          null,
          null,
          null,
          0);
    }

    private static String randomHash() {
      byte[] b = new byte[32];
      RANDOM.nextBytes(b);
      return HexFormat.of().formatHex(b);
    }
  }
}
