package io.keygate.core;

/**
 * Root of Keygate's unchecked exceptions. Expected outcomes of verification are values (see {@link
 * io.keygate.core.verify.Verification}); exceptions are for requests that cannot be carried out and
 * for infrastructure faults. Each subclass carries a stable snake_case {@link #code()} that the
 * HTTP layer returns as {@code {"error": code}}. Messages never contain key material: whatever a
 * caller's input put into one (a key pasted into the wrong field, a URL with a password) is masked
 * by {@link SecretMasker} here, once, for every answer, log line and CLI error built from it.
 */
public class KeygateException extends RuntimeException {
  private final String code;

  /** An exception with an error code and a human message. */
  public KeygateException(String code, String message) {
    super(SecretMasker.mask(message));
    this.code = code;
  }

  /** An exception with an error code, a human message and its cause. */
  public KeygateException(String code, String message, Throwable cause) {
    super(SecretMasker.mask(message), cause);
    this.code = code;
  }

  /** Stable snake_case error code. */
  public String code() {
    return code;
  }

  /** The request was malformed or violates policy (HTTP 400). */
  public static final class InvalidRequest extends KeygateException {
    /** An invalid request with a precise code, e.g. {@code invalid_scopes}. */
    public InvalidRequest(String code, String message) {
      super(code, message);
    }
  }

  /** The resource does not exist or is not visible to the caller (HTTP 404). */
  public static final class NotFound extends KeygateException {
    /** A missing resource. */
    public NotFound(String message) {
      super("not_found", message);
    }
  }

  /** The caller may see the resource but not do this to it (HTTP 403). */
  public static final class Forbidden extends KeygateException {
    /** A refusal with a precise code, e.g. {@code scope_not_held}. */
    public Forbidden(String code, String message) {
      super(code, message);
    }
  }

  /** The resource's state does not allow the operation (HTTP 409). */
  public static final class Conflict extends KeygateException {
    /** A state conflict, e.g. rotating a key twice. */
    public Conflict(String message) {
      super("invalid_state", message);
    }

    /** A state conflict with a precise code, e.g. {@code key_revoked}. */
    public Conflict(String code, String message) {
      super(code, message);
    }
  }

  /** The store could not be reached or failed (HTTP 503). Nothing was half-written. */
  public static final class StoreUnavailable extends KeygateException {
    /** A store fault with its cause. */
    public StoreUnavailable(String message, Throwable cause) {
      super("store_unavailable", message, cause);
    }
  }

  /**
   * The audit log failed an integrity check that must pass before it is extended (HTTP 503): its
   * sealed head does not verify, or is sealed under an audit key version this node does not hold.
   * Nothing was written.
   */
  public static final class AuditIntegrity extends KeygateException {
    /** An integrity failure with its code, e.g. {@code audit_head_invalid}. */
    public AuditIntegrity(String code, String message) {
      super(code, message);
    }
  }

  /**
   * A secret of this node (pepper, data key, audit key) differs from the one the shared database
   * was written with, or is older than one another node already uses. Raised at startup and on a
   * secret reload, never on a request; the message names the secret and what to do.
   */
  public static final class SecretMismatch extends KeygateException {
    /** A mismatch described for the operator. */
    public SecretMismatch(String message) {
      super("secret_mismatch", message);
    }
  }
}
