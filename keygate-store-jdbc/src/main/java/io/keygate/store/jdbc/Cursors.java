package io.keygate.store.jdbc;

import io.keygate.core.model.Page;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * The one cursor pagination of every listing (keys, incidents, canaries, events, alerts): newest
 * first by a millisecond time column, ties broken by the id column descending, behind an opaque
 * cursor, base64url of {@code "<millis>:<id>"} of the last row of the previous page. Keyset
 * pagination, so a page costs an index range scan however deep it is, and rows inserted meanwhile
 * neither repeat nor vanish.
 */
final class Cursors {
  private static final String INVALID = "invalid cursor";

  private Cursors() {}

  /**
   * A decoded cursor.
   *
   * @param millis time column value of the last row returned
   * @param id id column value of the last row returned
   */
  record Position(long millis, String id) {}

  /**
   * The columns a listing is ordered by.
   *
   * @param timeColumn a non-null millisecond column
   * @param idColumn a unique, non-null text column
   */
  record Order(String timeColumn, String idColumn) {}

  /**
   * One page of {@code select}'s rows in {@code order}, after {@code cursor} (null: the first
   * page), at most {@code limit} of them; the next cursor is null on the last page.
   *
   * @param select a {@code SELECT ... WHERE ...} with no order or limit yet; this appends both
   * @param positionOf where a row stands in {@code order}
   * @throws IllegalArgumentException {@code "invalid cursor"} for a cursor not made here
   */
  static <T> Page<T> page(
      Handle h,
      Select select,
      Order order,
      String cursor,
      int limit,
      RowMapper<T> mapper,
      Function<T, Position> positionOf) {
    String t = order.timeColumn();
    String id = order.idColumn();
    if (cursor != null) {
      Position after = decode(cursor);
      select
          .and("(" + t + " < :cursor_at OR (" + t + " = :cursor_at AND " + id + " < :cursor_id))")
          .bind("cursor_at", after.millis())
          .bind("cursor_id", after.id());
    }
    select.append(" ORDER BY " + t + " DESC, " + id + " DESC LIMIT :page_limit");
    select.bind("page_limit", limit + 1);
    List<T> rows = select.query(h).map(mapper).list();
    if (rows.size() <= limit) {
      return new Page<>(rows, null);
    }
    List<T> page = rows.subList(0, limit);
    Position last = positionOf.apply(page.get(limit - 1));
    return new Page<>(page, encode(last.millis(), last.id()));
  }

  static String encode(long millis, String id) {
    String raw = millis + ":" + id;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Decodes a cursor made by {@link #encode}.
   *
   * @throws IllegalArgumentException {@code "invalid cursor"} for anything else
   */
  static Position decode(String cursor) {
    String raw;
    try {
      raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(INVALID, e);
    }
    int colon = raw.indexOf(':');
    if (colon < 1 || colon == raw.length() - 1) {
      throw new IllegalArgumentException(INVALID);
    }
    try {
      return new Position(Long.parseLong(raw.substring(0, colon)), raw.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(INVALID, e);
    }
  }
}
