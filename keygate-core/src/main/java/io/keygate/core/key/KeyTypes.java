package io.keygate.core.key;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configured set of key types, looked up by name or by prefix. Immutable and thread-safe.
 *
 * <p>Prefixes must be unambiguous: since a prefix ends in {@code _} and a key body is base62 (which
 * has no {@code _}), a key's prefix is everything up to its last {@code _}, so no prefix may be a
 * proper prefix of another only if they differ before the final underscore; duplicate prefixes are
 * rejected.
 */
public final class KeyTypes {
  /** Name of Keygate's management token type. */
  public static final String ADMIN = "admin";

  /** Name of the default key type. */
  public static final String DEFAULT = "live_secret";

  private final Map<String, KeyType> byName;
  private final Map<String, KeyType> byPrefix;

  private KeyTypes(Collection<KeyType> types) {
    Map<String, KeyType> names = new LinkedHashMap<>();
    Map<String, KeyType> prefixes = new HashMap<>();
    for (KeyType t : types) {
      if (names.put(t.name(), t) != null) {
        throw new IllegalArgumentException("duplicate key type name: " + t.name());
      }
      if (prefixes.put(t.prefix(), t) != null) {
        throw new IllegalArgumentException("duplicate key prefix: " + t.prefix());
      }
    }
    this.byName = Map.copyOf(names);
    this.byPrefix = Map.copyOf(prefixes);
    this.ordered = List.copyOf(names.values());
  }

  private final List<KeyType> ordered;

  /** The default types of PRODUCT.md §1 plus the {@code kg_admin_} management token type. */
  public static KeyTypes defaults() {
    return of(defaultTypes());
  }

  /** The default types as a mutable list, to adjust before {@link #of}. */
  public static List<KeyType> defaultTypes() {
    List<KeyType> t = new ArrayList<>();
    t.add(new KeyType("live_secret", "sk_live_", true, false));
    t.add(new KeyType("test_secret", "sk_test_", false, false));
    t.add(new KeyType("live_public", "pk_live_", true, false));
    t.add(new KeyType("test_public", "pk_test_", false, false));
    t.add(new KeyType("live_restricted", "rk_live_", true, false));
    t.add(new KeyType("test_restricted", "rk_test_", false, false));
    t.add(new KeyType(ADMIN, "kg_admin_", true, true));
    return t;
  }

  /** A registry of exactly these types. */
  public static KeyTypes of(Collection<KeyType> types) {
    if (types.isEmpty()) {
      throw new IllegalArgumentException("at least one key type is required");
    }
    return new KeyTypes(types);
  }

  /** The type with this name. */
  public Optional<KeyType> byName(String name) {
    return Optional.ofNullable(name == null ? null : byName.get(name));
  }

  /** The type whose prefix is exactly {@code prefix}, or {@code null}. */
  public KeyType byPrefix(String prefix) {
    return byPrefix.get(prefix);
  }

  /**
   * The type whose prefix is exactly the first {@code length} characters of {@code s}, or {@code
   * null}; {@link #byPrefix} without cutting the prefix out (the verifier's hot path).
   */
  public KeyType byPrefixOf(CharSequence s, int length) {
    for (KeyType t : ordered) {
      String p = t.prefix();
      if (p.length() == length && startsWith(s, p)) {
        return t;
      }
    }
    return null;
  }

  private static boolean startsWith(CharSequence s, String prefix) {
    for (int i = 0; i < prefix.length(); i++) {
      if (s.charAt(i) != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** All types in configuration order. */
  public List<KeyType> all() {
    return ordered;
  }
}
