package io.keygate.core.lifecycle;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.store.KeyStore;
import io.keygate.core.verify.IpAllowlist;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Imports keys issued by another system, known by the plain SHA-256 of their raw values, so that
 * users migrate without re-issuing keys. Each key is written with its audit event ({@code
 * key.imported}) in its own transaction: one bad key never half-writes, nor stops the others.
 *
 * <p>The stored keyed hash is a placeholder ({@code imported:} + random) that no HMAC can equal;
 * the verifier finds the key by SHA-256 until its first successful use re-hashes it (see {@link
 * io.keygate.core.verify.LegacyKeys}). Thread-safe.
 */
public final class KeyImporter {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final KeyPolicy policy;
  private final Clock clock;
  private final Supplier<SecureRandom> random;

  public KeyImporter(
      KeyStore store,
      KeyFormat format,
      KeyHasher hasher,
      KeyPolicy policy,
      Clock clock,
      Supplier<SecureRandom> random) {
    this.store = store;
    this.format = format;
    this.hasher = hasher;
    this.policy = policy;
    this.clock = clock;
    this.random = random;
  }

  /**
   * Imports one key.
   *
   * @return the stored record
   * @throws KeygateException.InvalidRequest naming the bad field
   * @throws KeygateException.Conflict when a key with the same SHA-256 was already imported
   */
  public ApiKeyRecord importKey(ImportKey req, Actor actor) {
    if (req.sha256() == null || !SHA256.matcher(req.sha256()).matches()) {
      throw invalid("invalid_sha256", "sha256 must be 64 hex characters (the SHA-256 of the key)");
    }
    String sha = req.sha256().toLowerCase(Locale.ROOT);
    if (req.prefix() != null && !PREFIX.matcher(req.prefix()).matches()) {
      throw invalid("invalid_prefix", "prefix must be 1..64 characters of [A-Za-z0-9_.-]");
    }
    if (req.ownerId() == null || req.ownerId().isBlank() || req.ownerId().length() > 255) {
      throw invalid("invalid_owner_id", "owner_id is required (at most 255 characters)");
    }
    if (!actor.canSee(req.ownerId())) {
      throw invalid(
          "invalid_owner_id",
          "this token may only import keys of owner " + actor.ownerRestriction());
    }
    String typeName = req.type() == null ? "live_secret" : req.type();
    if (typeName.equals(KeyTypes.ADMIN) || format.types().byName(typeName).isEmpty()) {
      throw invalid("invalid_type", "unknown or non-importable key type " + typeName);
    }
    List<String> ips = req.ipAllowlist() == null ? List.of() : req.ipAllowlist();
    try {
      IpAllowlist.parse(ips);
    } catch (IllegalArgumentException e) {
      throw invalid("invalid_ip_allowlist", e.getMessage());
    }
    Instant now = clock.instant();
    Instant expires;
    if (req.expiresAt() != null && req.expiresInDays() != null) {
      throw invalid("invalid_expiry", "give expires_at or expires_in_days, not both");
    } else if (req.expiresAt() != null) {
      expires = req.expiresAt();
    } else if (req.expiresInDays() != null) {
      if (req.expiresInDays() < 1) {
        throw invalid("invalid_expiry", "expires_in_days must be >= 1");
      }
      expires = now.plus(java.time.Duration.ofDays(req.expiresInDays()));
    } else {
      expires = now.plus(policy.defaultTtl());
    }
    if (!expires.isAfter(now)) {
      throw invalid("invalid_expiry", "the key has already expired (" + expires + ")");
    }
    if (expires.isAfter(now.plus(policy.maxTtl()))) {
      throw invalid(
          "invalid_expiry",
          "expiry is beyond the policy maximum of " + policy.maxTtl().toDays() + " days");
    }
    KeySettings settings =
        new KeySettings(
            req.name() == null ? "" : req.name(),
            req.scopes() == null ? policy.defaultScopes() : req.scopes(),
            ips,
            req.rateLimits() == null ? List.of() : req.rateLimits(),
            req.meta() == null ? Map.of() : req.meta());
    String prefix = req.prefix() == null ? "" : req.prefix();
    ApiKeyRecord rec =
        new ApiKeyRecord(
            "key_" + KeyFormat.randomBase62(random.get(), 24),
            typeName,
            (prefix.isEmpty() ? "" : prefix) + "…(imported)",
            "imported:" + KeyFormat.randomBase62(random.get(), 43),
            hasher.currentVersion(),
            req.ownerId(),
            settings,
            KeyStatus.ACTIVE,
            now,
            now,
            expires,
            null,
            null,
            null,
            null,
            null,
            null,
            0);
    store.inTransaction(
        tx -> {
          tx.insertImportedKey(rec, sha, prefix);
          tx.appendAudit(
              new AuditEntry(
                  now,
                  actor.id(),
                  "key.imported",
                  rec.keyId(),
                  rec.ownerId(),
                  actor.sourceIp(),
                  prefix.isEmpty() ? Map.of() : Map.of("prefix", prefix)));
          return null;
        });
    return rec;
  }

  private static KeygateException.InvalidRequest invalid(String code, String message) {
    return new KeygateException.InvalidRequest(code, message);
  }
}
