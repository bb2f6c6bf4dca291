package io.keygate.core.monitor;

/**
 * An alert listing request, newest first.
 *
 * @param status {@code open}, {@code acknowledged} or {@code null} for both
 * @param keyId only this key's alerts, or {@code null}
 * @param ownerId only this owner's alerts, or {@code null}
 * @param limit page size, 1..{@link #MAX_LIMIT}
 * @param cursor the previous page's {@code nextCursor}, or {@code null}
 */
public record AlertQuery(String status, String keyId, String ownerId, int limit, String cursor) {
  /** Default page size. */
  public static final int DEFAULT_LIMIT = 50;

  /** Largest page size. */
  public static final int MAX_LIMIT = 500;

  /** Validates the status and page size. */
  public AlertQuery {
    if (status != null && !status.equals(Alert.OPEN) && !status.equals(Alert.ACKNOWLEDGED)) {
      throw new IllegalArgumentException("status must be open or acknowledged, was " + status);
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ", was " + limit);
    }
  }
}
