package io.keygate.server.config;

/** Parsing {@code KEYGATE_*} numbers: the one place that words their errors. */
final class Env {
  private Env() {}

  /** Parses {@code value} of {@code name} as an integer, naming both in the error. */
  static long parseLong(String name, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, was '" + value + "'");
    }
  }
}
