package io.keygate.core.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Endpoint rules among a key's scopes: entries written {@code METHOD /path/pattern}, e.g. {@code
 * GET /v1/data/**} or {@code * /v1/public/*}. In a pattern, a {@code *} segment matches exactly one
 * path segment and a {@code **} segment matches any number of segments (zero included); other
 * segments match literally. A {@code GET} rule also admits {@code HEAD}; {@code *} admits every
 * method.
 *
 * <p><b>Design.</b> Rules are compiled once per cached key ({@link #compile}) into segment arrays;
 * matching walks the request path by index with one backtracking point per {@code **} (the classic
 * wildcard algorithm, linear in practice), with no regex and no allocation beyond the path scan.
 *
 * <p><b>Security guarantees.</b> Rules are matched against the canonical path of {@link
 * io.keygate.core.request.RequestTarget#path} (what every {@link VerifyRequest} holds): dot
 * segments resolved, escapes decoded, and every path that could mean something else to the server
 * behind Keygate refused before it gets here. A key with rules grants nothing to a request without
 * a method and path (the {@link Verifier} refuses it). Immutable and thread-safe.
 */
public final class EndpointRules {
  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
  private static final String ANY = "*";
  private static final String ANY_DEPTH = "**";
  private static final int MAX_RULE_LENGTH = 200;

  private record Rule(String method, String[] segments) {}

  private final Rule[] rules;

  private EndpointRules(Rule[] rules) {
    this.rules = rules;
  }

  /** Whether a scope string is written as an endpoint rule (it holds a space). */
  public static boolean isRule(String scope) {
    return scope != null && scope.indexOf(' ') >= 0;
  }

  /**
   * Compiles the endpoint rules among {@code scopes}; {@code null} when there are none (so the
   * common case costs nothing).
   *
   * @throws IllegalArgumentException with a precise message for a malformed rule
   */
  public static EndpointRules compile(List<String> scopes) {
    List<Rule> out = new ArrayList<>();
    for (String s : scopes) {
      if (isRule(s)) {
        out.add(parse(s));
      }
    }
    return out.isEmpty() ? null : new EndpointRules(out.toArray(new Rule[0]));
  }

  /** Validates one rule; {@code IllegalArgumentException} saying what is wrong. */
  public static void validate(String rule) {
    parse(rule);
  }

  private static Rule parse(String rule) {
    if (rule.length() > MAX_RULE_LENGTH) {
      throw new IllegalArgumentException(
          "endpoint rule is at most " + MAX_RULE_LENGTH + " characters: " + rule);
    }
    int sp = rule.indexOf(' ');
    String method = rule.substring(0, sp);
    String path = rule.substring(sp + 1);
    if (!method.equals(ANY) && !METHODS.contains(method)) {
      throw new IllegalArgumentException(
          "endpoint rule '"
              + rule
              + "' must start with an upper-case HTTP method (GET, HEAD, POST, PUT, PATCH,"
              + " DELETE, OPTIONS) or *, then one space and a path");
    }
    if (!path.startsWith("/") || path.indexOf(' ') >= 0) {
      throw new IllegalArgumentException(
          "endpoint rule '"
              + rule
              + "' needs exactly one space followed by a path starting with /");
    }
    List<String> segs = new ArrayList<>();
    for (String seg : path.substring(1).split("/", -1)) {
      if (seg.isEmpty()) {
        if (segs.isEmpty() && path.length() == 1) {
          break; // "/" alone: the root
        }
        throw new IllegalArgumentException("endpoint rule '" + rule + "' has an empty segment");
      }
      if (seg.contains("*") && !seg.equals(ANY) && !seg.equals(ANY_DEPTH)) {
        throw new IllegalArgumentException(
            "endpoint rule '"
                + rule
                + "': wildcards must be whole segments ('*' = one segment, '**' = any number)");
      }
      if (seg.equals(".") || seg.equals("..") || seg.indexOf('%') >= 0 || seg.indexOf('?') >= 0) {
        throw new IllegalArgumentException(
            "endpoint rule '" + rule + "' must not hold '.', '..', '%' or '?' segments");
      }
      for (int i = 0; i < seg.length(); i++) {
        char c = seg.charAt(i);
        if (c < 0x21 || c > 0x7e || c == '\\') {
          throw new IllegalArgumentException(
              "endpoint rule '" + rule + "' holds a character not allowed in a path: " + c);
        }
      }
      segs.add(seg);
    }
    return new Rule(method, segs.toArray(new String[0]));
  }

  /**
   * Whether {@code method} and {@code path} match at least one rule; {@code path} is canonical (see
   * {@link io.keygate.core.request.RequestTarget#path}).
   */
  public boolean matches(String method, String path) {
    if (method == null || path == null) {
      return false;
    }
    String[] segs = path.equals("/") ? new String[0] : path.substring(1).split("/");
    String m = method.toUpperCase(Locale.ROOT);
    for (Rule r : rules) {
      if (methodMatches(r.method, m) && glob(r.segments, segs)) {
        return true;
      }
    }
    return false;
  }

  private static boolean methodMatches(String rule, String m) {
    return rule.equals(ANY) || rule.equals(m) || (rule.equals("GET") && m.equals("HEAD"));
  }

  /**
   * Matches segments against a pattern where {@code *} is one segment and {@code **} any number;
   * one backtracking point suffices because {@code **} matches any sequence.
   */
  static boolean glob(String[] pat, String[] segs) {
    int p = 0;
    int s = 0;
    int starP = -1;
    int starS = 0;
    while (s < segs.length) {
      if (p < pat.length && pat[p].equals(ANY_DEPTH)) {
        starP = p++;
        starS = s;
      } else if (p < pat.length && (pat[p].equals(ANY) || pat[p].equals(segs[s]))) {
        p++;
        s++;
      } else if (starP >= 0) {
        p = starP + 1;
        s = ++starS;
      } else {
        return false;
      }
    }
    while (p < pat.length && pat[p].equals(ANY_DEPTH)) {
      p++;
    }
    return p == pat.length;
  }
}
