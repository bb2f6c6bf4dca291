package io.keygate.server;

import java.util.Objects;

/**
 * One registered HTTP route of a running server: method and path template, as Javalin holds it
 * ({@code /v1/keys/{key_id}}, {@code /ui/<path>}). Used by tests that walk the whole route table
 * (authorization matrix, fuzzing) so routes added later are covered without editing a list.
 *
 * @param method HTTP method in upper case ({@code GET}, {@code POST}, ...)
 * @param path the path template with {@code {param}} and {@code <param>} placeholders
 */
public record Route(String method, String path) {
  /** Validates both parts. */
  public Route {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
  }

  @Override
  public String toString() {
    return method + " " + path;
  }
}
