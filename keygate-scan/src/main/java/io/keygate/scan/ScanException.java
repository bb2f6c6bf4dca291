package io.keygate.scan;

import io.keygate.core.KeygateException;

/**
 * A scan could not be carried out: a path could not be read, a repository could not be opened, or
 * the report could not be delivered. The message names the path or URL and never contains key
 * material; the cause is kept.
 */
public final class ScanException extends KeygateException {
  /** A scan fault with its cause. */
  public ScanException(String message, Throwable cause) {
    super("scan_failed", message, cause);
  }

  /** A scan fault without an underlying exception. */
  public ScanException(String message) {
    super("scan_failed", message);
  }
}
