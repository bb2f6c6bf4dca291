package io.keygate.spring;

import io.keygate.core.verify.Outcome;
import java.util.List;
import java.util.Objects;

/**
 * The answer of a {@link KeyVerifier}: the request may pass with {@link #principal()}, or it is
 * refused with an outcome code (PRODUCT.md §3: {@code invalid_key}, {@code key_revoked}, …), the
 * HTTP status to answer and a human message.
 *
 * <p>Messages never contain key material. Immutable and thread-safe.
 *
 * @param code snake_case outcome code ({@code valid} when granted)
 * @param httpStatus status to answer (200 when granted)
 * @param message human explanation, or {@code null} when granted
 * @param principal the verified key when granted, else {@code null}
 */
public record KeyVerdict(String code, int httpStatus, String message, KeygatePrincipal principal) {

  /** Code of the 503 answer when the verifier cannot reach its store or server. */
  public static final String UNAVAILABLE = "keygate_unavailable";

  /** Checks consistency: a granted verdict has a principal, a refusal has none. */
  public KeyVerdict {
    Objects.requireNonNull(code, "code");
    if (granted(code) != (principal != null)) {
      throw new IllegalArgumentException("a verdict has a principal exactly when it is valid");
    }
    if (httpStatus < 100 || httpStatus > 599) {
      throw new IllegalArgumentException("not an HTTP status: " + httpStatus);
    }
  }

  private static boolean granted(String code) {
    return Outcome.VALID.code().equals(code);
  }

  /** Access granted to {@code principal}. */
  public static KeyVerdict valid(KeygatePrincipal principal) {
    return new KeyVerdict(Outcome.VALID.code(), 200, null, Objects.requireNonNull(principal));
  }

  /** Access refused with a core outcome and the standard message for it. */
  public static KeyVerdict refused(Outcome outcome) {
    return refused(outcome, null);
  }

  /**
   * Access refused with a core outcome; {@code message} (may be {@code null}) replaces the standard
   * one.
   */
  public static KeyVerdict refused(Outcome outcome, String message) {
    if (outcome == Outcome.VALID) {
      throw new IllegalArgumentException("valid is not a refusal");
    }
    return new KeyVerdict(
        outcome.code(),
        outcome.httpStatus(),
        message != null ? message : messageFor(outcome),
        null);
  }

  /** Access refused because a required scope is missing; names the scopes the request needs. */
  public static KeyVerdict insufficientScope(List<String> required, boolean all) {
    return refused(
        Outcome.INSUFFICIENT_SCOPE,
        "the API key lacks "
            + (all
                ? "one of the scopes this request needs (all of "
                : "the scope this request needs (any of ")
            + required
            + ")");
  }

  /** The 503 answer for a verifier that cannot decide (store or Keygate server unreachable). */
  public static KeyVerdict unavailable() {
    return new KeyVerdict(
        UNAVAILABLE, 503, "API key verification is temporarily unavailable; retry shortly", null);
  }

  /** Whether access is granted. */
  public boolean valid() {
    return principal != null;
  }

  /** The standard message for a refusal. */
  static String messageFor(Outcome outcome) {
    switch (outcome) {
      case MISSING_API_KEY:
        return "an API key is required: send it in the X-API-Key header or as Authorization: Bearer";
      case INVALID_KEY:
        return "the API key is not valid";
      case KEY_REVOKED:
        return "the API key has been revoked";
      case KEY_EXPIRED:
        return "the API key has expired";
      case KEY_DISABLED:
        return "the API key is disabled";
      case IP_NOT_ALLOWED:
        return "the client IP is not allowed to use this API key";
      case INSUFFICIENT_SCOPE:
        return "the API key lacks the scope this request needs";
      case RATE_LIMITED:
        return "too many requests with this API key; retry later";
      case QUOTA_EXCEEDED:
        return "the API key has used up its quota";
      case API_KEY_IN_URL:
        return "API keys must not be sent in the URL (it leaks through logs, history and Referer);"
            + " use the X-API-Key or Authorization header and rotate the exposed key";
      default:
        return "the request was refused (" + outcome.code() + ")";
    }
  }
}
