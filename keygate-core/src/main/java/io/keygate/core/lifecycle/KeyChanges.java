package io.keygate.core.lifecycle;

import io.keygate.core.KeygateException;
import io.keygate.core.events.EventTypes;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreTx;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The state changes of {@link KeyService} (update, disable, enable, revoke), which stays the front
 * door and delegates here: each change is applied to the locked record and written with its audit
 * event in one transaction, then announced to the verifier. Same contract as {@link KeyService}.
 * Thread-safe.
 */
final class KeyChanges {
  private final KeyService keys;
  private final KeyStore store;
  private final KeySettingsValidator validator;

  KeyChanges(KeyService keys, KeyStore store, KeySettingsValidator validator) {
    this.keys = keys;
    this.store = store;
    this.validator = validator;
  }

  /** Applies a partial update to a key that is neither revoked nor expired. */
  ApiKeyRecord update(String keyId, KeyPatch patch, Actor actor) {
    Instant now = keys.now();
    return change(
        keyId,
        actor,
        false,
        "updated",
        (tx, cur) -> {
          KeyService.requireAlive(cur, now, "update");
          KeySettings s = cur.settings();
          KeySettings next =
              KeySettingsValidator.settings(
                  patch.name() == null ? s.name() : patch.name(),
                  patch.scopes() == null ? s.scopes() : patch.scopes(),
                  patch.ipAllowlist() == null ? s.ipAllowlist() : patch.ipAllowlist(),
                  patch.rateLimits() == null ? s.rateLimits() : patch.rateLimits(),
                  patch.meta() == null ? s.meta() : patch.meta(),
                  patch.quota() == null ? s.quota() : KeyService.quotaFrom(patch.quota(), now));
          Instant expires =
              patch.expiresInDays() == null
                  ? cur.expiresAt()
                  : now.plus(validator.ttl(patch.expiresInDays()));
          return cur.withSettings(next, expires, now);
        },
        changedFields(patch));
  }

  /** Disables a key (reversible) that is neither revoked nor expired. */
  ApiKeyRecord disable(String keyId, Actor actor) {
    return setStatus(keyId, actor, KeyStatus.DISABLED, "disable");
  }

  /** Enables a disabled key that is neither revoked nor expired. */
  ApiKeyRecord enable(String keyId, Actor actor) {
    return setStatus(keyId, actor, KeyStatus.ACTIVE, "enable");
  }

  /**
   * Sets the status of a key that is neither revoked nor expired; audited as {@code key.<action>d}.
   */
  private ApiKeyRecord setStatus(String keyId, Actor actor, KeyStatus status, String action) {
    Instant now = keys.now();
    return change(
        keyId,
        actor,
        false,
        action + "d",
        (tx, cur) -> {
          KeyService.requireAlive(cur, now, action);
          return cur.withStatus(status, now);
        },
        Map.of());
  }

  /**
   * Revokes a key or ({@code adminToken}) an admin token at once (also an expired one), after
   * {@code check} accepted the locked record (it throws to refuse). Revoking a revoked key is a
   * conflict.
   */
  ApiKeyRecord revoke(
      String keyId, String reason, Actor actor, boolean adminToken, Consumer<ApiKeyRecord> check) {
    Instant now = keys.now();
    String why = reason == null || reason.isBlank() ? "unspecified" : reason.strip();
    if (why.length() > 500) {
      throw new KeygateException.InvalidRequest(
          "invalid_reason", "reason is at most 500 characters");
    }
    return change(
        keyId,
        actor,
        adminToken,
        "revoked",
        (tx, cur) -> {
          check.accept(cur);
          KeyService.requireNotRevoked(cur, now, "revoke");
          ApiKeyRecord rev = cur.revoked(now, why, now);
          if (!adminToken) {
            tx.enqueueEvent(keys.event(EventTypes.KEY_REVOKED, rev, now, Map.of("reason", why)));
          }
          return rev;
        },
        Map.of("reason", why));
  }

  /** One change of a locked record; throws to refuse it. */
  private interface Change {
    ApiKeyRecord apply(KeyStoreTx tx, ApiKeyRecord current);
  }

  /**
   * Applies {@code change} to the locked key or ({@code adminToken}) admin token and writes its
   * audit event ({@code key.<verb>} / {@code admin_token.<verb>}) in the same transaction.
   */
  private ApiKeyRecord change(
      String keyId,
      Actor actor,
      boolean adminToken,
      String verb,
      Change change,
      Map<String, String> details) {
    Instant now = keys.now();
    ApiKeyRecord updated =
        store.inTransaction(
            tx -> {
              ApiKeyRecord cur = keys.locked(tx, keyId, actor, adminToken);
              ApiKeyRecord next = change.apply(tx, cur);
              tx.updateKey(next);
              tx.appendAudit(
                  KeyService.audit(actor, KeyService.auditAction(next, verb), next, now, details));
              return next;
            });
    keys.announce(updated);
    return updated;
  }

  private static Map<String, String> changedFields(KeyPatch p) {
    Map<String, String> m = new LinkedHashMap<>();
    if (p.name() != null) m.put("name", "changed");
    if (p.scopes() != null) m.put("scopes", String.join(" ", p.scopes()));
    if (p.ipAllowlist() != null) m.put("ip_allowlist", String.join(" ", p.ipAllowlist()));
    if (p.rateLimits() != null) m.put("rate_limits", "changed");
    if (p.expiresInDays() != null) m.put("expires_in_days", p.expiresInDays().toString());
    if (p.meta() != null) m.put("meta", "changed");
    if (p.quota() != null) m.put("quota", Long.toString(p.quota().remaining()));
    return m;
  }
}
