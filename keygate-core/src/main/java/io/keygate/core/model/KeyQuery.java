package io.keygate.core.model;

/**
 * A key listing request. Newest first; a cursor continues where a previous page stopped.
 *
 * @param ownerId only this owner's keys, or {@code null} for all
 * @param status only keys whose effective status is this, or {@code null}
 * @param type only this key type name, or {@code null}
 * @param limit page size, 1..{@value #MAX_LIMIT}
 * @param cursor opaque cursor from a previous page, or {@code null}
 * @param adminTokens {@code true}: only admin tokens ({@link ApiKeyRecord#adminToken}); {@code
 *     false}: only API keys. A listing never mixes the two.
 */
public record KeyQuery(
    String ownerId, KeyStatus status, String type, int limit, String cursor, boolean adminTokens) {
  /** Largest page. */
  public static final int MAX_LIMIT = 500;

  /** Default page size. */
  public static final int DEFAULT_LIMIT = 50;

  /** Validates the page size. */
  public KeyQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ", was " + limit);
    }
  }

  /** A listing of API keys (never admin tokens). */
  public KeyQuery(String ownerId, KeyStatus status, String type, int limit, String cursor) {
    this(ownerId, status, type, limit, cursor, false);
  }

  /** The same query restricted to one owner. */
  public KeyQuery forOwner(String owner) {
    return new KeyQuery(owner, status, type, limit, cursor, adminTokens);
  }

  /** The same query over admin tokens ({@code true}) or API keys ({@code false}). */
  public KeyQuery ofAdminTokens(boolean tokens) {
    return new KeyQuery(ownerId, status, type, limit, cursor, tokens);
  }

  /** Whether {@code r} is of the kind this query lists ({@link #adminTokens}). */
  public boolean kindMatches(ApiKeyRecord r) {
    return r.adminToken() == adminTokens;
  }
}
