package io.keygate.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonIncludeProperties;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.lifecycle.KeyPolicy;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import io.keygate.core.notify.ExpiryNotifier;
import io.keygate.core.verify.LimitState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Response bodies of the HTTP API. None of them holds a raw key except {@link Created} and {@link
 * TokenCreated}.
 */
final class Views {
  /**
   * Keys this close to expiry (days) show {@code expiring_soon} and {@code days_until_expiry}: the
   * largest expiry notice threshold, set when the monitoring routes are installed (one value per
   * process).
   */
  static volatile int expiringSoonDays = 30;

  private Views() {}

  record RateLimitView(String name, long requests, long window) {
    static RateLimitView of(RateLimit r) {
      return new RateLimitView(r.name(), r.requests(), r.window().toSeconds());
    }
  }

  /**
   * A key as the API shows it: the one place that reads a stored key for an answer ({@link
   * TokenView}, {@link Created} and {@link TokenCreated} show a subset of these fields). Never the
   * hash or pepper version.
   */
  record KeyView(
      String keyId,
      String type,
      String hint,
      String ownerId,
      String name,
      String status,
      List<String> scopes,
      List<String> ipAllowlist,
      List<RateLimitView> rateLimits,
      Map<String, Object> meta,
      Instant createdAt,
      Instant updatedAt,
      Instant expiresAt,
      Instant revokedAt,
      String revokeReason,
      Instant revokesAt,
      String rotatedFrom,
      String rotatedTo,
      Instant lastUsedAt,
      long usageCount,
      @JsonInclude(JsonInclude.Include.NON_NULL) Boolean expiringSoon,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long daysUntilExpiry,
      @JsonInclude(JsonInclude.Include.NON_NULL) QuotaView quota) {
    static KeyView of(ApiKeyRecord r, Instant now) {
      Long days = null;
      Boolean soon = null;
      if (r.expiresAt() != null && r.effectiveStatus(now) == KeyStatus.ACTIVE) {
        days = ExpiryNotifier.daysLeft(r.expiresAt(), now);
        soon = days <= expiringSoonDays ? Boolean.TRUE : null;
        days = soon == null ? null : days;
      }
      return new KeyView(
          r.keyId(),
          r.type(),
          r.hint(),
          r.ownerId(),
          r.settings().name(),
          r.effectiveStatus(now).wire(),
          r.settings().scopes(),
          r.settings().ipAllowlist(),
          r.settings().rateLimits().stream().map(RateLimitView::of).toList(),
          r.settings().meta(),
          r.createdAt(),
          r.updatedAt(),
          r.expiresAt(),
          r.revokedAt(),
          r.revokeReason(),
          r.revokesAt(),
          r.rotatedFrom(),
          r.rotatedTo(),
          r.lastUsedAt(),
          r.usageCount(),
          soon,
          days,
          QuotaView.of(r.settings().quota()));
    }
  }

  /** A key's stored quota: balance as of the last flush, refill policy. */
  record QuotaView(long remaining, RefillView refill, Instant refilledAt) {
    static QuotaView of(Quota q) {
      return q == null
          ? null
          : new QuotaView(
              q.remaining(),
              q.refill() == null ? null : new RefillView(q.refillAmount(), q.refill().wire()),
              q.refilledAt());
    }
  }

  record RefillView(long amount, String interval) {}

  /** One rate limit's state in a verify answer. */
  record LimitView(String name, long limit, long remaining, long reset) {
    static List<LimitView> of(List<LimitState> states) {
      return states.isEmpty()
          ? null
          : states.stream()
              .map(s -> new LimitView(s.name(), s.limit(), s.remaining(), s.reset()))
              .toList();
    }
  }

  /** The live quota balance in a verify answer. */
  record QuotaRemaining(long remaining) {}

  /**
   * The one-time display of a new key: the raw key, then the {@link KeyView} fields a new key has.
   */
  record Created(
      String apiKey,
      @JsonUnwrapped
          @JsonIncludeProperties({
            "key_id",
            "type",
            "hint",
            "owner_id",
            "name",
            "scopes",
            "ip_allowlist",
            "rate_limits",
            "meta",
            "created_at",
            "expires_at",
            "rotated_from"
          })
          KeyView key,
      String warning) {
    static Created of(CreatedKey k) {
      return new Created(
          k.secret().reveal(),
          KeyView.of(k.record(), k.record().createdAt()),
          "Store this key now: Keygate keeps only a hash and will never show it again.");
    }
  }

  record Rotated(Created newKey, String oldKeyId, Instant oldKeyRevokesAt, String message) {}

  /**
   * The message of a rotation answer: when the old {@code what} ({@code key}, {@code token}) is
   * revoked, from the grace granted ({@code null}: the policy default) — not "deadline minus a
   * later clock read", which is a hair short of it.
   */
  static String rotationMessage(String what, Duration grace, KeyPolicy policy) {
    Duration g = grace != null ? grace : policy.defaultGrace();
    if (g.isZero() || g.isNegative()) {
      return "Old " + what + " revoked now";
    }
    double h = g.toSeconds() / 3600.0;
    String hours = h == Math.rint(h) ? Long.toString((long) h) : String.format("%.2f", h);
    return "Old " + what + " will be revoked in " + hours + " hours";
  }

  /**
   * An admin token as the API shows it (never its secret): the {@link KeyView} fields a token has
   * (no type, allowlist, limits, metadata, quota or usage).
   */
  record TokenView(
      @JsonUnwrapped
          @JsonIncludeProperties({
            "key_id",
            "hint",
            "owner_id",
            "name",
            "status",
            "scopes",
            "created_at",
            "expires_at",
            "revoked_at",
            "revoke_reason",
            "revokes_at",
            "rotated_from",
            "rotated_to",
            "last_used_at"
          })
          KeyView key) {
    static TokenView of(ApiKeyRecord r, Instant now) {
      return new TokenView(KeyView.of(r, now));
    }
  }

  /** The one-time display of a new admin token: the token, then the fields of {@link Created}. */
  record TokenCreated(
      String token,
      @JsonUnwrapped
          @JsonIncludeProperties({
            "key_id",
            "hint",
            "owner_id",
            "name",
            "scopes",
            "created_at",
            "expires_at",
            "rotated_from"
          })
          KeyView key,
      String warning) {
    static TokenCreated of(CreatedKey k) {
      return new TokenCreated(
          k.secret().reveal(),
          KeyView.of(k.record(), k.record().createdAt()),
          "Store this token now: Keygate keeps only a hash and will never show it again.");
    }
  }

  record TokenRotated(
      TokenCreated newToken, String oldKeyId, Instant oldKeyRevokesAt, String message) {}

  /** A page of a listing: {@code {"data": [...], "next_cursor": ...}}. */
  record ListPage<T>(List<T> data, String nextCursor) {
    /** The page's items as the API shows them. */
    static <S, T> ListPage<T> of(Page<S> page, Function<S, T> view) {
      return new ListPage<>(page.items().stream().map(view).toList(), page.nextCursor());
    }

    /** No items and no further page. */
    static <T> ListPage<T> empty() {
      return new ListPage<>(List.of(), null);
    }
  }

  record VerifyResult(
      boolean valid,
      String code,
      String message,
      String keyId,
      String ownerId,
      String type,
      List<String> scopes,
      Instant expiresAt,
      Map<String, Object> meta,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<LimitView> rateLimits,
      @JsonInclude(JsonInclude.Include.NON_NULL) QuotaRemaining quota,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long retryAfter) {}

  /** An audit event as the API shows it: its entry's fields, then its place in the chain. */
  record AuditView(
      long seq, @JsonUnwrapped AuditEntry entry, String prevHash, String hash, int keyVersion) {
    static AuditView of(AuditEvent e) {
      return new AuditView(e.seq(), e.entry(), e.prevHash(), e.hash(), e.keyVersion());
    }
  }

  /** {@code GET /v1/audit/verify}: what checking the whole log found. */
  record AuditVerification(
      boolean intact, long events, AuditHeadView head, List<String> problems, List<String> notes) {}

  /** The audit head as stored; {@code keyed_from}/{@code key_version} only once sealed. */
  record AuditHeadView(long seq, String hash, boolean sealed, Long keyedFrom, Integer keyVersion) {}

  record AuthzOk(boolean valid, String code, String keyId, String ownerId) {}

  record ErrorBody(String error, String message) {}
}
