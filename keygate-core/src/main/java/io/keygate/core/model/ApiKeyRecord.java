package io.keygate.core.model;

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
   * Whether this is a Keygate admin token (type {@link io.keygate.core.key.KeyTypes#ADMIN}) rather
   * than an API key. The two never stand in for each other: the verifier refuses admin tokens as
   * API keys and API keys as admin tokens, and the lifecycle service manages each through its own
   * operations.
   */
  public boolean adminToken() {
    return io.keygate.core.key.KeyTypes.ADMIN.equals(type);
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
    return new ApiKeyRecord(
        keyId,
        type,
        hint,
        hash,
        pepperVersion,
        ownerId,
        s,
        status,
        createdAt,
        now,
        newExpiresAt,
        revokedAt,
        revokeReason,
        revokesAt,
        rotatedFrom,
        rotatedTo,
        lastUsedAt,
        usageCount);
  }

  /** A copy in state {@code s}. */
  public ApiKeyRecord withStatus(KeyStatus s, Instant now) {
    return new ApiKeyRecord(
        keyId,
        type,
        hint,
        hash,
        pepperVersion,
        ownerId,
        settings,
        s,
        createdAt,
        now,
        expiresAt,
        revokedAt,
        revokeReason,
        revokesAt,
        rotatedFrom,
        rotatedTo,
        lastUsedAt,
        usageCount);
  }

  /** A revoked copy. */
  public ApiKeyRecord revoked(Instant at, String reason, Instant now) {
    return new ApiKeyRecord(
        keyId,
        type,
        hint,
        hash,
        pepperVersion,
        ownerId,
        settings,
        KeyStatus.REVOKED,
        createdAt,
        now,
        expiresAt,
        at,
        reason,
        revokesAt,
        rotatedFrom,
        rotatedTo,
        lastUsedAt,
        usageCount);
  }

  /** A copy replaced by {@code newKeyId}, revoked at {@code at} (scheduled). */
  public ApiKeyRecord rotatedTo(String newKeyId, Instant at, Instant now) {
    return new ApiKeyRecord(
        keyId,
        type,
        hint,
        hash,
        pepperVersion,
        ownerId,
        settings,
        status,
        createdAt,
        now,
        expiresAt,
        revokedAt,
        revokeReason,
        at,
        rotatedFrom,
        newKeyId,
        lastUsedAt,
        usageCount);
  }

  /** A copy with the hash re-computed under another pepper version. */
  public ApiKeyRecord withHash(String newHash, int version, Instant now) {
    return new ApiKeyRecord(
        keyId,
        type,
        hint,
        newHash,
        version,
        ownerId,
        settings,
        status,
        createdAt,
        now,
        expiresAt,
        revokedAt,
        revokeReason,
        revokesAt,
        rotatedFrom,
        rotatedTo,
        lastUsedAt,
        usageCount);
  }
}
