package io.keygate.spring;

import io.keygate.core.SecretMasker;

/**
 * A {@link KeyVerifier} could not decide: its store or Keygate server failed. The filter answers
 * 503 {@code keygate_unavailable}, never letting the request through (fail closed).
 *
 * <p>Messages describe the failure (address, status, cause) and never contain key material or a
 * URL's password: they pass through {@link io.keygate.core.SecretMasker}.
 */
public class KeygateUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A failure described by {@code message}, caused by {@code cause} (may be {@code null}). */
  public KeygateUnavailableException(String message, Throwable cause) {
    super(SecretMasker.mask(message), cause);
  }
}
