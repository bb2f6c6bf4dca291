package io.keygate.core.notify;

/**
 * A page request over outbox events, newest first.
 *
 * @param ownerId only this owner's events, or {@code null}
 * @param keyId only events about this key, or {@code null}
 * @param type only this type, or {@code null}
 * @param limit page size, 1..{@value #MAX_LIMIT}
 * @param cursor opaque cursor from the previous page, or {@code null}
 */
public record EventQuery(String ownerId, String keyId, String type, int limit, String cursor) {
  /** Default page size. */
  public static final int DEFAULT_LIMIT = 50;

  /** Largest page size. */
  public static final int MAX_LIMIT = 500;

  /** Checks the limit. */
  public EventQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ", was " + limit);
    }
  }
}
