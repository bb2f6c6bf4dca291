package io.keygate.core.leaks;

/**
 * A listing of leak incidents, newest report first.
 *
 * @param ownerId only this owner's incidents, or {@code null}
 * @param keyId only incidents of this key, or {@code null}
 * @param limit page size, 1..{@link #MAX_LIMIT}
 * @param cursor opaque cursor of the previous page, or {@code null}
 */
public record IncidentQuery(String ownerId, String keyId, int limit, String cursor) {
  /** Default page size. */
  public static final int DEFAULT_LIMIT = 50;

  /** Largest page size. */
  public static final int MAX_LIMIT = 500;

  /** Validates the limit. */
  public IncidentQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ", was " + limit);
    }
  }

  /** The same query restricted to {@code owner}. */
  public IncidentQuery forOwner(String owner) {
    return new IncidentQuery(owner, keyId, limit, cursor);
  }
}
