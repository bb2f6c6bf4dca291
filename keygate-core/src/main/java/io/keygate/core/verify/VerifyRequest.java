package io.keygate.core.verify;

import io.keygate.core.KeygateException;
import io.keygate.core.request.IpAddresses;
import io.keygate.core.request.RequestTarget;
import java.util.List;

/**
 * What to check. The constructor normalises what the checks compare, once, so that every caller
 * (the HTTP routes, the servlet filter, code embedding the core) gets the same reading: the client
 * address ({@link IpAddresses#normalize}), the method (an HTTP token) and the path ({@link
 * RequestTarget#path}).
 *
 * @param key the presented key, or {@code null} when none was presented
 * @param ip the client IP, or {@code null} when unknown (a key with an allowlist is then refused);
 *     stored canonical
 * @param requiredScopes the request needs at least one of these (reference design semantics); empty
 *     = no scope requirement
 * @param method HTTP method of the protected request, or {@code null} when unknown (a key with
 *     endpoint rules is then refused)
 * @param path target of the protected request (path, optionally with query and fragment, as sent),
 *     stored as its canonical path; {@code null} when unknown (a key with endpoint rules is then
 *     refused)
 * @param requiredScopesAll the request needs every one of these; empty = no all-of requirement
 * @param cost quota units the request consumes ({@code >= 1}; 1 by default)
 * @param userAgent the client's {@code User-Agent}, or {@code null}; reported when a canary key is
 *     presented, never used to decide
 */
public record VerifyRequest(
    String key,
    String ip,
    List<String> requiredScopes,
    String method,
    String path,
    List<String> requiredScopesAll,
    long cost,
    String userAgent) {
  /** Largest cost one request may declare. */
  public static final long MAX_COST = 1_000_000;

  /** Longest method accepted (RFC 9110 sets no limit; real methods are short). */
  private static final int MAX_METHOD_LENGTH = 32;

  /**
   * Copies the scope lists and normalises the address, method and path.
   *
   * @throws IllegalArgumentException for a cost outside 1..MAX_COST
   * @throws KeygateException.InvalidRequest {@code invalid_ip} for an address that is not an IP
   *     literal, {@code invalid_method} for a method that is not an HTTP token, {@code
   *     invalid_path} for a refused path (see {@link RequestTarget#path})
   */
  public VerifyRequest {
    requiredScopes = requiredScopes == null ? List.of() : List.copyOf(requiredScopes);
    requiredScopesAll = requiredScopesAll == null ? List.of() : List.copyOf(requiredScopesAll);
    if (cost < 1 || cost > MAX_COST) {
      throw new IllegalArgumentException("cost must be 1.." + MAX_COST + ", was " + cost);
    }
    if (ip != null) {
      String canonical = IpAddresses.normalize(ip);
      if (canonical == null) {
        throw new KeygateException.InvalidRequest(
            "invalid_ip",
            "the client IP must be an IPv4 address (dotted quad, no leading zeros) or an IPv6"
                + " address");
      }
      ip = canonical;
    }
    if (method != null && !isToken(method)) {
      throw new KeygateException.InvalidRequest(
          "invalid_method", "the request method must be an HTTP method name such as GET");
    }
    path = RequestTarget.path(path);
  }

  /**
   * A request's cost as a gateway gives it in text: 1 when absent or blank, else an integer
   * 1..{@link #MAX_COST}.
   *
   * @throws KeygateException.InvalidRequest {@code invalid_cost} otherwise
   */
  public static long parseCost(String c) {
    if (c == null || c.isBlank()) {
      return 1;
    }
    try {
      long n = Long.parseLong(c.strip());
      if (n >= 1 && n <= MAX_COST) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new KeygateException.InvalidRequest(
        "invalid_cost", "cost must be an integer 1.." + MAX_COST);
  }

  /** Whether {@code m} is an RFC 9110 token of at most {@value #MAX_METHOD_LENGTH} characters. */
  private static boolean isToken(String m) {
    if (m.isEmpty() || m.length() > MAX_METHOD_LENGTH) {
      return false;
    }
    for (int i = 0; i < m.length(); i++) {
      char c = m.charAt(i);
      boolean alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && "!#$%&'*+-.^_`|~".indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  /** A request without a user agent. */
  public VerifyRequest(
      String key,
      String ip,
      List<String> requiredScopes,
      String method,
      String path,
      List<String> requiredScopesAll,
      long cost) {
    this(key, ip, requiredScopes, method, path, requiredScopesAll, cost, null);
  }

  /** A copy carrying the client's user agent. */
  public VerifyRequest withUserAgent(String ua) {
    return new VerifyRequest(key, ip, requiredScopes, method, path, requiredScopesAll, cost, ua);
  }

  /** A request with an any-of scope requirement and cost 1. */
  public VerifyRequest(
      String key, String ip, List<String> requiredScopes, String method, String path) {
    this(key, ip, requiredScopes, method, path, List.of(), 1);
  }

  /** A request that only checks the key and its state, from an unknown address. */
  public static VerifyRequest of(String key) {
    return new VerifyRequest(key, null, List.of(), null, null);
  }
}
