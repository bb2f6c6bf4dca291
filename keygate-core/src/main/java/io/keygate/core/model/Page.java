package io.keygate.core.model;

import java.util.List;

/**
 * One page of a listing.
 *
 * @param items the items, in listing order
 * @param nextCursor opaque cursor for the next page, or {@code null} on the last page
 */
public record Page<T>(List<T> items, String nextCursor) {
  /** Copies the items. */
  public Page {
    items = List.copyOf(items);
  }
}
