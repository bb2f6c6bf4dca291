package io.keygate.core.secret;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The versions of one secret a node holds (Tink keyset style: the highest version is current and
 * makes new values, every version is kept to read old ones), reloadable while the node runs.
 *
 * <p>Design note: the versions are one immutable map behind a volatile field; {@link #reload} swaps
 * it, so readers take no lock, and a caller reading {@link #current()} and then using a version may
 * race with a reload only towards a newer map that still holds that version (a reload never lowers
 * the current one).
 *
 * <p><b>Security guarantees.</b> A reload never lowers the current version; messages and {@link
 * #toString()} name versions only. Thread-safe.
 *
 * @param <K> the secret type
 */
public final class KeyRing<K extends Versioned> {
  private final String name;
  private final String currentRole;
  private volatile NavigableMap<Integer, K> keys;

  /**
   * A ring over these versions.
   *
   * @param name what the secret is called in messages, e.g. {@code "audit key"}
   * @param currentRole what the current version is called in the reload refusal, e.g. {@code
   *     "newest"}
   * @throws IllegalArgumentException no version, or a version given twice
   */
  public KeyRing(String name, String currentRole, Collection<K> versions) {
    this.name = Objects.requireNonNull(name, "name");
    this.currentRole = Objects.requireNonNull(currentRole, "currentRole");
    this.keys = byVersion(versions);
  }

  private NavigableMap<Integer, K> byVersion(Collection<K> versions) {
    Objects.requireNonNull(versions, "versions");
    TreeMap<Integer, K> m = new TreeMap<>();
    for (K k : versions) {
      if (m.put(k.version(), k) != null) {
        throw new IllegalArgumentException(name + " v" + k.version() + " given twice");
      }
    }
    if (m.isEmpty()) {
      throw new IllegalArgumentException("at least one " + name + " version is required");
    }
    return Collections.unmodifiableNavigableMap(m);
  }

  /**
   * Replaces the versions.
   *
   * @throws IllegalArgumentException no version, or a version given twice
   * @throws IllegalStateException the current version would go down; nothing is changed
   * @return whether the set of versions changed
   */
  public synchronized boolean reload(Collection<K> versions) {
    NavigableMap<Integer, K> next = byVersion(versions);
    NavigableMap<Integer, K> now = keys;
    if (next.lastKey() < now.lastKey()) {
      throw new IllegalStateException(
          "refusing "
              + name
              + " reload: "
              + currentRole
              + " version would go from v"
              + now.lastKey()
              + " back to v"
              + next.lastKey());
    }
    keys = next;
    return !next.keySet().equals(now.keySet());
  }

  /** The current (highest) version's secret. */
  public K current() {
    return keys.lastEntry().getValue();
  }

  /** The current (highest) version. */
  public int currentVersion() {
    return keys.lastKey();
  }

  /** The secret of version {@code version}, or null if it is not held. */
  public K get(int version) {
    return keys.get(version);
  }

  /** Every version held, ascending. */
  public List<Integer> versions() {
    return List.copyOf(keys.keySet());
  }

  @Override
  public String toString() {
    return keys.keySet().toString();
  }
}
