package io.keygate.store.jdbc;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * A query whose {@code WHERE} clause grows with optional filters, with named parameters, for the
 * listings that filter on whatever the caller gave. Column names and conditions come from this
 * package's code, never from input; values are always bound. Not thread-safe; one per query.
 */
final class Select {
  private final StringBuilder sql;
  private final Map<String, Object> binds = new LinkedHashMap<>();

  /** Starts from {@code sql}, which must end in a {@code WHERE} condition. */
  Select(String sql) {
    this.sql = new StringBuilder(sql);
  }

  /** Adds {@code AND column = :column} when {@code value} is not null. */
  Select eq(String column, Object value) {
    if (value != null) {
      and(column + " = :" + column).bind(column, value);
    }
    return this;
  }

  /** Adds {@code AND condition}; bind its parameters with {@link #bind}. */
  Select and(String condition) {
    sql.append(" AND ").append(condition);
    return this;
  }

  /** Appends {@code text} as it is. */
  Select append(String text) {
    sql.append(text);
    return this;
  }

  /** Binds the named parameter {@code name} to a non-null {@code value}. */
  Select bind(String name, Object value) {
    binds.put(name, value);
    return this;
  }

  /** The query on {@code h} with every parameter bound. */
  Query query(Handle h) {
    return h.createQuery(sql.toString()).bindMap(binds);
  }
}
