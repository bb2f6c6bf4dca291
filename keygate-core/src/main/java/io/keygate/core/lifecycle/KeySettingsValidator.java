package io.keygate.core.lifecycle;

import io.keygate.core.KeygateException;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.key.KeyType;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import io.keygate.core.request.IpAllowlist;
import io.keygate.core.verify.EndpointRules;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one validation of everything a client may store about a key — type, owner, name, scopes and
 * endpoint rules, IP allowlist, rate limits, quota, metadata and expiry — shared by every write
 * path: create, update, import, admin tokens.
 *
 * <p><b>Contract.</b> Each method either returns the value to store or throws {@link
 * KeygateException.InvalidRequest} with the code of the offending field ({@code invalid_scopes},
 * {@code invalid_ip_allowlist}, …) and a message saying what is wrong. Settings it accepts can
 * always be evaluated by the verifier: no stored value makes a later verification fail. Immutable
 * and thread-safe.
 */
final class KeySettingsValidator {
  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
  private static final Pattern SCOPE = Pattern.compile("[A-Za-z0-9:._*/-]{1,64}");
  static final int MAX_SCOPES = 100;
  static final int MAX_ALLOWLIST = 100;
  static final int MAX_RATE_LIMITS = 10;
  static final int MAX_NAME = 200;
  static final int MAX_META_ENTRIES = 50;
  static final int MAX_META_KEY = 128;
  static final int MAX_META_DEPTH = 8;

  private final KeyFormat format;
  private final KeyPolicy policy;

  KeySettingsValidator(KeyFormat format, KeyPolicy policy) {
    this.format = format;
    this.policy = policy;
  }

  /** The key type named {@code name}; admin tokens are not keys, so their type is refused. */
  KeyType keyType(String name) {
    KeyType type = format.types().byName(name).orElse(null);
    if (type == null || type.admin()) {
      throw new KeygateException.InvalidRequest(
          "invalid_key_type",
          "unknown key type '"
              + name
              + "'; known: "
              + format.types().all().stream().filter(t -> !t.admin()).map(KeyType::name).toList()
              + " (admin tokens are managed under /v1/admin-tokens)");
    }
    return type;
  }

  /** A required owner id: 1-128 characters of {@code [A-Za-z0-9._:@-]}. */
  static String owner(String owner) {
    if (owner == null || !OWNER.matcher(owner).matches()) {
      throw new KeygateException.InvalidRequest(
          "invalid_owner_id", "owner_id is required: 1-128 characters of [A-Za-z0-9._:@-]");
    }
    return owner;
  }

  /**
   * Validated settings; {@code scopes} must be given (the caller applies its default), the other
   * lists and the metadata may be {@code null} (none).
   */
  static KeySettings settings(
      String name,
      List<String> scopes,
      List<String> allowlist,
      List<RateLimit> limits,
      Map<String, Object> meta,
      Quota quota) {
    if (name != null && name.length() > MAX_NAME) {
      throw invalid("invalid_name", "name is at most " + MAX_NAME + " characters");
    }
    return new KeySettings(
        name, scopes(scopes), allowlist(allowlist), rateLimits(limits), meta(meta), quota);
  }

  /** Scopes: 1..100 named scopes or well-formed endpoint rules; duplicates are dropped. */
  static List<String> scopes(List<String> scopes) {
    if (scopes == null || scopes.isEmpty() || scopes.size() > MAX_SCOPES) {
      throw invalid("invalid_scopes", "scopes must hold 1.." + MAX_SCOPES + " scopes");
    }
    for (String s : scopes) {
      if (EndpointRules.isRule(s)) {
        try {
          EndpointRules.validate(s);
        } catch (IllegalArgumentException e) {
          throw invalid("invalid_scopes", e.getMessage());
        }
      } else if (s == null || !SCOPE.matcher(s).matches()) {
        throw invalid(
            "invalid_scopes",
            "scope must be 1-64 characters of [A-Za-z0-9:._*/-], or an endpoint rule"
                + " 'METHOD /path/pattern': "
                + s);
      }
    }
    return List.copyOf(new LinkedHashSet<>(scopes));
  }

  private static List<String> allowlist(List<String> allowlist) {
    List<String> ips = allowlist == null ? List.of() : allowlist;
    if (ips.size() > MAX_ALLOWLIST) {
      throw invalid(
          "invalid_ip_allowlist", "ip_allowlist holds at most " + MAX_ALLOWLIST + " entries");
    }
    try {
      IpAllowlist.parse(ips);
    } catch (IllegalArgumentException e) {
      throw invalid("invalid_ip_allowlist", e.getMessage());
    }
    return ips;
  }

  private static List<RateLimit> rateLimits(List<RateLimit> limits) {
    List<RateLimit> rl = limits == null ? List.of() : limits;
    if (rl.size() > MAX_RATE_LIMITS) {
      throw invalid("invalid_rate_limit", "at most " + MAX_RATE_LIMITS + " rate limits per key");
    }
    Set<String> names = new HashSet<>();
    for (RateLimit r : rl) {
      if (r == null) {
        throw invalid("invalid_rate_limit", "a rate limit must not be null");
      }
      if (!names.add(r.name())) {
        throw invalid("invalid_rate_limit", "duplicate rate limit name: " + r.name());
      }
    }
    return rl;
  }

  /**
   * Metadata: at most 50 entries with keys of 1..128 characters, and values that are JSON values
   * (strings, numbers, booleans, null, lists, string-keyed maps) nested at most 8 deep.
   */
  private static Map<String, Object> meta(Map<String, Object> meta) {
    if (meta == null) {
      return Map.of();
    }
    if (meta.size() > MAX_META_ENTRIES) {
      throw invalid("invalid_meta", "meta holds at most " + MAX_META_ENTRIES + " entries");
    }
    for (var e : meta.entrySet()) {
      if (e.getKey() == null || e.getKey().isEmpty() || e.getKey().length() > MAX_META_KEY) {
        throw invalid("invalid_meta", "meta keys are 1.." + MAX_META_KEY + " characters");
      }
      jsonValue(e.getValue(), 1);
    }
    return meta;
  }

  private static void jsonValue(Object v, int depth) {
    if (depth > MAX_META_DEPTH) {
      throw invalid("invalid_meta", "meta values nest at most " + MAX_META_DEPTH + " deep");
    }
    if (v instanceof Map<?, ?> m) {
      for (var e : m.entrySet()) {
        if (!(e.getKey() instanceof String)) {
          throw invalid("invalid_meta", "meta maps have string keys");
        }
        jsonValue(e.getValue(), depth + 1);
      }
    } else if (v instanceof Collection<?> c) {
      for (Object o : c) {
        jsonValue(o, depth + 1);
      }
    } else if (!(v == null || v instanceof String || v instanceof Number || v instanceof Boolean)) {
      throw invalid("invalid_meta", "meta values are JSON values (strings, numbers, lists, maps)");
    }
  }

  /** A lifetime of {@code days} (1..max TTL), or the policy default for {@code null}. */
  Duration ttl(Integer days) {
    if (days == null) {
      return policy.defaultTtl();
    }
    long max = policy.maxTtl().toDays();
    if (days < 1 || days > max) {
      throw invalid("invalid_expiry", "expires_in_days must be 1.." + max + " (max TTL policy)");
    }
    return Duration.ofDays(days);
  }

  /**
   * An expiry given as {@code at} or as {@code days} from {@code now} (at most one of them;
   * neither: the policy default), which must lie after {@code now} and within the max TTL.
   */
  Instant expiry(Instant at, Integer days, Instant now) {
    if (at != null && days != null) {
      throw invalid("invalid_expiry", "give expires_at or expires_in_days, not both");
    }
    if (at == null) {
      return now.plus(ttl(days));
    }
    if (!at.isAfter(now)) {
      throw invalid("invalid_expiry", "the key has already expired (" + at + ")");
    }
    if (at.isAfter(now.plus(policy.maxTtl()))) {
      throw invalid(
          "invalid_expiry",
          "expiry is beyond the policy maximum of " + policy.maxTtl().toDays() + " days");
    }
    return at;
  }

  private static KeygateException.InvalidRequest invalid(String code, String message) {
    return new KeygateException.InvalidRequest(code, message);
  }
}
