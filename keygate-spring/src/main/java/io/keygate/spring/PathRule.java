package io.keygate.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An endpoint rule: requests whose method and path match need a valid key holding any one of {@link
 * #scopes()} (the reference design's {@code required_scopes}). An empty scope list means "any valid
 * key". Rules are tried in order and the first match wins; a request that matches no rule needs no
 * key (a key it presents is still verified).
 *
 * <p>Patterns are Ant-style: {@code ?} is one character, {@code *} any characters within a path
 * segment, {@code **} (a whole segment) any number of segments, including none, so {@code
 * /api/data/**} covers {@code /api/data} itself. Paths are compared after repeated slashes are
 * collapsed and a trailing slash is dropped, case-sensitively like Spring MVC. A {@code GET} rule
 * also covers {@code HEAD}, which servlet containers and Spring MVC answer with the GET handler.
 *
 * <p>Written in properties as {@code {method, pattern, scopes}} or as one line {@code GET
 * /api/data/** -> read,admin} ({@link #parse}). Immutable and thread-safe.
 *
 * @param method HTTP method, or {@code *} for any
 * @param pattern Ant-style path pattern starting with {@code /}
 * @param scopes any one of these is required; empty = any valid key
 */
public record PathRule(String method, String pattern, List<String> scopes) {
  private static final Pattern METHOD = Pattern.compile("\\*|[A-Z]+");
  private static final Pattern SCOPE = Pattern.compile("[^\\s,]+");

  /** Validates and normalises: method upper-cased ({@code null} → {@code *}), scopes copied. */
  public PathRule {
    method = method == null || method.isBlank() ? "*" : method.strip().toUpperCase(Locale.ROOT);
    if (!METHOD.matcher(method).matches()) {
      throw new IllegalArgumentException("rule method must be an HTTP method or *, was " + method);
    }
    if (pattern == null || !pattern.strip().startsWith("/")) {
      throw new IllegalArgumentException("rule pattern must start with '/', was " + pattern);
    }
    pattern = pattern.strip();
    List<String> s = new ArrayList<>();
    for (String scope : scopes == null ? List.<String>of() : scopes) {
      if (scope == null || !SCOPE.matcher(scope.strip()).matches()) {
        throw new IllegalArgumentException("bad scope '" + scope + "' in rule for " + pattern);
      }
      s.add(scope.strip());
    }
    scopes = List.copyOf(s);
  }

  /**
   * Parses {@code METHOD /pattern -> scope1,scope2}; the method may be {@code *} and the part from
   * {@code ->} on may be left out (any valid key).
   *
   * @throws IllegalArgumentException naming the bad rule
   */
  public static PathRule parse(String rule) {
    if (rule == null) {
      throw new IllegalArgumentException("rule must not be null");
    }
    String head = rule;
    List<String> scopes = List.of();
    int arrow = rule.indexOf("->");
    if (arrow >= 0) {
      head = rule.substring(0, arrow);
      List<String> s = new ArrayList<>();
      for (String p : rule.substring(arrow + 2).split(",")) {
        if (!p.isBlank()) {
          s.add(p.strip());
        }
      }
      scopes = s;
    }
    String[] parts = head.strip().split("\\s+");
    if (parts.length != 2) {
      throw new IllegalArgumentException(
          "rule must look like 'GET /api/data/** -> read,admin', was '" + rule + "'");
    }
    return new PathRule(parts[0], parts[1], scopes);
  }

  /** Whether this rule applies to {@code method} on {@code path} (a raw request path). */
  public boolean matches(String requestMethod, String path) {
    return methodMatches(requestMethod) && compiled().matcher(normalize(path)).matches();
  }

  boolean methodMatches(String requestMethod) {
    if ("*".equals(method)) {
      return true;
    }
    String m = requestMethod == null ? "" : requestMethod.toUpperCase(Locale.ROOT);
    return method.equals(m) || ("GET".equals(method) && "HEAD".equals(m));
  }

  /** The pattern as a regular expression (compiled on each call; the filter keeps its own). */
  Pattern compiled() {
    return toRegex(normalize(pattern));
  }

  /** Collapses repeated slashes and drops a trailing slash (except for {@code /}). */
  static String normalize(String path) {
    if (path == null || path.isEmpty()) {
      return "/";
    }
    StringBuilder b = new StringBuilder(path.length());
    char prev = 0;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '/' && prev == '/') {
        continue;
      }
      b.append(c);
      prev = c;
    }
    if (b.length() > 1 && b.charAt(b.length() - 1) == '/') {
      b.setLength(b.length() - 1);
    }
    return b.toString();
  }

  static Pattern toRegex(String pattern) {
    StringBuilder re = new StringBuilder();
    String[] segments = pattern.split("/", -1);
    for (int i = 1; i < segments.length; i++) {
      String seg = segments[i];
      if (seg.equals("**")) {
        re.append("(?:/.*)?");
        continue;
      }
      re.append('/');
      StringBuilder lit = new StringBuilder();
      for (int j = 0; j < seg.length(); j++) {
        char c = seg.charAt(j);
        if (c == '*' || c == '?') {
          if (lit.length() > 0) {
            re.append(Pattern.quote(lit.toString()));
            lit.setLength(0);
          }
          re.append(c == '*' ? "[^/]*" : "[^/]");
        } else {
          lit.append(c);
        }
      }
      if (lit.length() > 0) {
        re.append(Pattern.quote(lit.toString()));
      }
    }
    if (re.length() == 0) {
      re.append('/');
    }
    return Pattern.compile(re.toString());
  }

  @Override
  public String toString() {
    return method + " " + pattern + (scopes.isEmpty() ? "" : " -> " + String.join(",", scopes));
  }
}
