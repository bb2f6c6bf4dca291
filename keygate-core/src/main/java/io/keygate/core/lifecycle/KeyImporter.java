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
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Imports keys issued by another system, known by the plain SHA-256 of their raw values, so that
 * users migrate without re-issuing keys. Each key is written with its audit event ({@code
 * key.imported}) in its own transaction: one bad key never half-writes, nor stops the others. The
 * key's settings pass the same validation as keys created through the API ({@link
 * KeySettingsValidator}): a malformed scope or endpoint rule, allowlist entry, rate limit, metadata
 * or expiry is refused with the same code, so nothing imported can fail a later verification.
 *
 * <p>The stored keyed hash is a placeholder ({@code imported:} + random) that no HMAC can equal;
 * the verifier finds the key by SHA-256 until its first successful use re-hashes it (see {@link
 * io.keygate.core.verify.LegacyKeys}). Thread-safe.
 */
public final class KeyImporter {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

  /**
   * Whether {@code prefix} is a prefix an import accepts: 1..64 characters of {@code
   * [A-Za-z0-9_.-]}.
   */
  public static boolean validPrefix(String prefix) {
    return prefix != null && PREFIX.matcher(prefix).matches();
  }

  private final KeyStore store;
  private final KeyFormat format;
  private final KeyHasher hasher;
  private final KeyPolicy policy;
  private final Clock clock;
  private final Supplier<SecureRandom> random;
  private final KeySettingsValidator validator;

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
    this.validator = new KeySettingsValidator(format, policy);
  }

  /** A key that passed validation, ready to be stored by {@link #store}. */
  public record Prepared(ApiKeyRecord record, String sha256, String prefix) {}

  /**
   * Imports one key: {@link #prepare} then {@link #store}.
   *
   * @return the stored record
   * @throws KeygateException.InvalidRequest naming the bad field
   * @throws KeygateException.Conflict when a key with the same SHA-256 was already imported
   */
  public ApiKeyRecord importKey(ImportKey req, Actor actor) {
    return store(prepare(req, actor), actor);
  }

  /**
   * Validates one key and builds its record, touching no store: a batch can be checked whole before
   * any of it is written.
   *
   * @throws KeygateException.InvalidRequest naming the bad field
   */
  public Prepared prepare(ImportKey req, Actor actor) {
    if (req.sha256() == null || !SHA256.matcher(req.sha256()).matches()) {
      throw invalid("invalid_sha256", "sha256 must be 64 hex characters (the SHA-256 of the key)");
    }
    String sha = req.sha256().toLowerCase(Locale.ROOT);
    if (req.prefix() != null && !PREFIX.matcher(req.prefix()).matches()) {
      throw invalid("invalid_prefix", "prefix must be 1..64 characters of [A-Za-z0-9_.-]");
    }
    String owner = KeySettingsValidator.owner(req.ownerId());
    if (!actor.canSee(owner)) {
      throw invalid(
          "invalid_owner_id",
          "this token may only import keys of owner " + actor.ownerRestriction());
    }
    String typeName = validator.keyType(req.type() == null ? KeyTypes.DEFAULT : req.type()).name();
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Instant expires = validator.expiry(req.expiresAt(), req.expiresInDays(), now);
    KeySettings settings =
        KeySettingsValidator.settings(
            req.name(),
            req.scopes() == null ? policy.defaultScopes() : req.scopes(),
            req.ipAllowlist(),
            req.rateLimits(),
            req.meta(),
            null);
    String prefix = req.prefix() == null ? "" : req.prefix();
    ApiKeyRecord rec =
        new ApiKeyRecord(
            "key_" + KeyFormat.randomBase62(random.get(), 24),
            typeName,
            (prefix.isEmpty() ? "" : prefix) + "…(imported)",
            "imported:" + KeyFormat.randomBase62(random.get(), 43),
            hasher.currentVersion(),
            owner,
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
    return new Prepared(rec, sha, prefix);
  }

  /**
   * Stores a prepared key with its {@code key.imported} audit event, in one transaction.
   *
   * @throws KeygateException.Conflict when a key with the same SHA-256 was already imported
   */
  public ApiKeyRecord store(Prepared key, Actor actor) {
    ApiKeyRecord rec = key.record();
    String prefix = key.prefix();
    String sha = key.sha256();
    Instant now = rec.createdAt();
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
