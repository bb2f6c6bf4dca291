package io.keygate.server.config;

import java.util.Map;

/** Reading {@code KEYGATE_*} variables: the one place that parses them and words the errors. */
final class Env {
  private Env() {}

  /** The trimmed value of {@code name}, or {@code null} when unset or blank. */
  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** The integer value of {@code name}, or {@code dflt} when unset or blank. */
  static long longVar(Map<String, String> env, String name, long dflt) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, was '" + v + "'");
    }
  }

  /** As {@link #longVar}, within {@code int} range. */
  static int intVar(Map<String, String> env, String name, int dflt) {
    long n = longVar(env, name, dflt);
    if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " is out of range, was '" + env.get(name) + "'");
    }
    return (int) n;
  }

  /** {@code true} or {@code false} (any case), or {@code dflt} when unset or blank. */
  static boolean boolVar(Map<String, String> env, String name, boolean dflt) {
    String v = blankToNull(env.get(name));
    if (v == null) {
      return dflt;
    }
    if (v.equalsIgnoreCase("true")) {
      return true;
    }
    if (v.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(name + " must be true or false, was '" + v + "'");
  }
}
