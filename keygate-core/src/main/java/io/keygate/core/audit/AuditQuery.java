package io.keygate.core.audit;

/**
 * An audit listing request, newest first.
 *
 * @param targetId only events about this resource, or {@code null}
 * @param ownerId only events about this owner's resources, or {@code null}
 * @param limit page size, 1..500
 * @param beforeSeq only events with a smaller sequence number (cursor), or {@code null}
 */
public record AuditQuery(String targetId, String ownerId, int limit, Long beforeSeq) {
  /** Validates the page size. */
  public AuditQuery {
    if (limit < 1 || limit > 500) {
      throw new IllegalArgumentException("limit must be 1..500, was " + limit);
    }
  }
}
