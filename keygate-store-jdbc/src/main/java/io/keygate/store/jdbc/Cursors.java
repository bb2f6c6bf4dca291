package io.keygate.store.jdbc;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Opaque listing cursors: base64url of {@code "<createdAtMillis>:<keyId>"}, the position of the
 * last key on the previous page in {@code (created_at DESC, key_id DESC)} order.
 */
final class Cursors {
  private static final String INVALID = "invalid cursor";

  private Cursors() {}

  /**
   * A decoded cursor.
   *
   * @param createdAtMillis creation time of the last key returned
   * @param keyId id of the last key returned
   */
  record Position(long createdAtMillis, String keyId) {}

  static String encode(long createdAtMillis, String keyId) {
    String raw = createdAtMillis + ":" + keyId;
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
