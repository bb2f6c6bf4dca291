package io.keygate.core.model;

import io.keygate.core.key.KeyTypes;
import java.time.Instant;
import java.util.Objects;

/**
 * Everything stored about a key. Holds the keyed hash, never the key.
 *
 * @param keyId public handle {@code key_…}, random and independent of the secret
 * @param type key type name, e.g. {@code live_secret}
 * @param hint display hint (prefix + {@code …} + last 4 characters)
 * @param hash lower-case hex HMAC-SHA256 of the key under pepper {@code pepperVersion}
 * @param pepperVersion pepper version of {@code hash}
 * @param ownerId owner the key belongs to; for admin tokens the owner they are limited to, or
 *     {@code null} for an unrestricted token
 * @param settings scopes, allowlist, limits, metadata
 * @param status stored state (never {@link KeyStatus#EXPIRED})
 * @param createdAt creation time
 * @param updatedAt last change
 * @param expiresAt expiry, or {@code null} for none
 * @param revokedAt when revoked, or {@code null}
 * @param revokeReason why revoked, or {@code null}
 * @param revokesAt scheduled revocation (end of a rotation grace period), or {@code null}
 * @param rotatedFrom key this one replaced, or {@code null}
 * @param rotatedTo key that replaced this one, or {@code null}
 * @param lastUsedAt last successful verification as last flushed, or {@code null}
 * @param usageCount successful verifications as last flushed
 */
public record ApiKeyRecord(
    String keyId,
    String type,
    String hint,
    String hash,
    int pepperVersion,
    String ownerId,
    KeySettings settings,
    KeyStatus status,
    Instant createdAt,
    Instant updatedAt,
    Instant expiresAt,
    Instant revokedAt,
    String revokeReason,
    Instant revokesAt,
    String rotatedFrom,
    String rotatedTo,
    Instant lastUsedAt,
    long usageCount) {

  /** Checks required fields. */
  public ApiKeyRecord {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    if (status == KeyStatus.EXPIRED) {
      throw new IllegalArgumentException("EXPIRED is derived, never stored");
    }
  }

  /**
   * Whether this is a Keygate admin token (type {@link KeyTypes#ADMIN}) rather than an API key. The
   * two never stand in for each other: the verifier refuses admin tokens as API keys and API keys
   * as admin tokens, and the lifecycle service manages each through its own operations.
   */
  public boolean adminToken() {
    return KeyTypes.ADMIN.equals(type);
  }

  /**
   * The state at {@code now}: revoked if revoked or if a scheduled revocation has passed, disabled,
   * expired if past {@code expiresAt}, else active.
   */
  public KeyStatus effectiveStatus(Instant now) {
    if (status == KeyStatus.REVOKED || (revokesAt != null && !now.isBefore(revokesAt))) {
      return KeyStatus.REVOKED;
    }
    if (status == KeyStatus.DISABLED) {
      return KeyStatus.DISABLED;
    }
    if (expiresAt != null && !now.isBefore(expiresAt)) {
      return KeyStatus.EXPIRED;
    }
    return KeyStatus.ACTIVE;
  }

  /** A copy with new settings and expiry. */
  public ApiKeyRecord withSettings(KeySettings s, Instant newExpiresAt, Instant now) {
    Copy c = new Copy(this, now);
    c.settings = s;
    c.expiresAt = newExpiresAt;
    return c.build();
  }

  /** A copy in state {@code s}. */
  public ApiKeyRecord withStatus(KeyStatus s, Instant now) {
    Copy c = new Copy(this, now);
    c.status = s;
    return c.build();
  }

  /** A revoked copy. */
  public ApiKeyRecord revoked(Instant at, String reason, Instant now) {
    Copy c = new Copy(this, now);
    c.status = KeyStatus.REVOKED;
    c.revokedAt = at;
    c.revokeReason = reason;
    return c.build();
  }

  /** A copy replaced by {@code newKeyId}, revoked at {@code at} (scheduled). */
  public ApiKeyRecord rotatedTo(String newKeyId, Instant at, Instant now) {
    Copy c = new Copy(this, now);
    c.revokesAt = at;
    c.rotatedTo = newKeyId;
    return c.build();
  }

  /** A copy with the hash re-computed under another pepper version. */
  public ApiKeyRecord withHash(String newHash, int version, Instant now) {
    Copy c = new Copy(this, now);
    c.hash = newHash;
    c.pepperVersion = version;
    return c.build();
  }

  /**
   * The fields a copy may change, starting from a record with {@code updatedAt} set to {@code now};
   * the one place besides the record header that lists every component, so each {@code with…}
   * method names only what it changes. Used on one thread, then dropped.
   */
  private static final class Copy {
    private final ApiKeyRecord from;
    private final Instant updatedAt;
    private String hash;
    private int pepperVersion;
    private KeySettings settings;
    private KeyStatus status;
    private Instant expiresAt;
    private Instant revokedAt;
    private String revokeReason;
    private Instant revokesAt;
    private String rotatedTo;

    private Copy(ApiKeyRecord from, Instant now) {
      this.from = from;
      this.updatedAt = now;
      this.hash = from.hash;
      this.pepperVersion = from.pepperVersion;
      this.settings = from.settings;
      this.status = from.status;
      this.expiresAt = from.expiresAt;
      this.revokedAt = from.revokedAt;
      this.revokeReason = from.revokeReason;
      this.revokesAt = from.revokesAt;
      this.rotatedTo = from.rotatedTo;
    }

    private ApiKeyRecord build() {
      return new ApiKeyRecord(
          from.keyId,
          from.type,
          from.hint,
          hash,
          pepperVersion,
          from.ownerId,
          settings,
          status,
          from.createdAt,
          updatedAt,
          expiresAt,
          revokedAt,
          revokeReason,
          revokesAt,
          from.rotatedFrom,
          rotatedTo,
          from.lastUsedAt,
          from.usageCount);
    }
  }
}
