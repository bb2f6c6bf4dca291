package io.keygate.core.verify;

import io.keygate.core.model.ApiKeyRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a gateway is told about a verification: the HTTP status and headers of a forward-auth answer
 * ({@code /v1/authz}) and of an Envoy ext_authz {@code Check} alike, so that both fronts give the
 * same outcome for the same request. The one place where outcomes become statuses and headers.
 *
 * <ul>
 *   <li>Always, for a key with rate limits: {@code RateLimit-Limit/-Remaining/-Reset} (IETF draft)
 *       of the most restrictive limit; for a key with a quota: {@code X-Keygate-Quota-Remaining}.
 *   <li>Valid (200): identity headers for the upstream, {@code X-Keygate-Key-Id}, {@code
 *       X-Keygate-Owner-Id} (when the key has an owner), {@code X-Keygate-Key-Type} and {@code
 *       X-Keygate-Scopes} (comma-separated).
 *   <li>Rejected ({@link Outcome#httpStatus()}: 401, 403 or 429): {@code WWW-Authenticate} (RFC
 *       6750 {@code invalid_token}) on 401, {@code Retry-After} when a retry can succeed later, and
 *       {@code X-Keygate-Error} with the outcome code.
 * </ul>
 *
 * <p><b>Security guarantees.</b> No header carries key material: identity headers hold the key's
 * public handle, owner, type and scopes only. Immutable and thread-safe.
 *
 * @param status the HTTP status
 * @param headers the headers in the order they are sent
 */
public record GatewayAnswer(int status, List<Header> headers) {
  /** The identity header naming the key's public handle. */
  public static final String KEY_ID = "X-Keygate-Key-Id";

  /** The identity header naming the key's owner. */
  public static final String OWNER_ID = "X-Keygate-Owner-Id";

  /** The identity header naming the key's type. */
  public static final String KEY_TYPE = "X-Keygate-Key-Type";

  /** The identity header listing the key's scopes. */
  public static final String SCOPES = "X-Keygate-Scopes";

  /** The header naming the refusal's outcome code. */
  public static final String ERROR = "X-Keygate-Error";

  /** The identity headers a valid answer may set, which an upstream must only take from Keygate. */
  public static final List<String> IDENTITY_HEADERS = List.of(KEY_ID, OWNER_ID, KEY_TYPE, SCOPES);

  /**
   * One header of an answer.
   *
   * @param name the header name
   * @param value the value
   * @param identity whether it describes the verified key (for the upstream service only); the
   *     others describe limits and refusals and are meant for the client too
   */
  public record Header(String name, String value, boolean identity) {
    /** Validates. */
    public Header {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }
  }

  /** Copies the header list. */
  public GatewayAnswer {
    headers = List.copyOf(headers);
  }

  /** The answer for {@code v}. */
  public static GatewayAnswer of(Verification v) {
    List<Header> h = new ArrayList<>(8);
    LimitState m = LimitState.mostRestrictive(v.rateLimits());
    if (m != null) {
      h.add(new Header("RateLimit-Limit", Long.toString(m.limit()), false));
      h.add(new Header("RateLimit-Remaining", Long.toString(m.remaining()), false));
      h.add(new Header("RateLimit-Reset", Long.toString(m.reset()), false));
    }
    if (v.quotaRemaining() != null) {
      h.add(new Header("X-Keygate-Quota-Remaining", Long.toString(v.quotaRemaining()), false));
    }
    if (v instanceof Verification.Valid ok) {
      ApiKeyRecord k = ok.key();
      h.add(new Header(KEY_ID, k.keyId(), true));
      if (k.ownerId() != null) {
        h.add(new Header(OWNER_ID, k.ownerId(), true));
      }
      h.add(new Header(KEY_TYPE, k.type(), true));
      h.add(new Header(SCOPES, String.join(",", k.settings().scopes()), true));
      return new GatewayAnswer(Outcome.VALID.httpStatus(), h);
    }
    Verification.Rejected r = (Verification.Rejected) v;
    int status = r.outcome().httpStatus();
    if (status == 401) {
      h.add(
          new Header(
              "WWW-Authenticate",
              "Bearer realm=\"keygate\", error=\"invalid_token\", error_description=\""
                  + r.outcome().code()
                  + "\"",
              false));
    }
    if (r.retryAfterSeconds() > 0) {
      h.add(new Header("Retry-After", Long.toString(r.retryAfterSeconds()), false));
    }
    h.add(new Header(ERROR, r.outcome().code(), false));
    return new GatewayAnswer(status, h);
  }

  /** The value of header {@code name} (any case), or {@code null}. */
  public String header(String name) {
    for (Header x : headers) {
      if (x.name().equalsIgnoreCase(name)) {
        return x.value();
      }
    }
    return null;
  }
}
