package io.keygate.core.verify;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.keygate.core.key.KeyHasher;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.store.KeyStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Verification of keys imported from another system by the plain SHA-256 of their raw value.
 *
 * <p><b>Design.</b> A key whose prefix is one of the imported prefixes ({@link
 * KeyStore#importedPrefixes}; {@code ""} for keys imported without a prefix, which matches every
 * key) is looked up although it has no Keygate checksum — for as long as any key with that prefix
 * exists, so an imported key keeps verifying after it was re-hashed. When the keyed-hash lookup
 * misses and the prefix is one of those of keys not yet re-hashed ({@link
 * KeyStore#legacyPrefixes}), it is looked up once more by its SHA-256. On a hit the key is
 * re-hashed under the current pepper in one transaction (keyed hash and pepper version set, SHA-256
 * deleted, audit event {@code key.rehashed}), so each imported key costs the extra lookup only
 * until its first successful use. SHA-256 values that missed are remembered for {@link #MISS_TTL}
 * (at most {@link #MAX_MISSES}), so repeating an unknown key does not repeat the extra lookup; once
 * no imported key is left, the set of prefixes is empty and nothing is looked up at all.
 *
 * <p><b>Trade-off.</b> Keys with an imported prefix skip the offline checksum rejection (imported
 * keys have no Keygate checksum), so look-alikes with those prefixes cost a database lookup instead
 * of none. The set of prefixes is read by {@link #refresh()} (the server calls it periodically and
 * after an import), so another node sees a new import's prefix after its next refresh.
 *
 * <p><b>Security guarantees.</b> A plain SHA-256 is only as strong as the imported keys' entropy;
 * it is deleted at first use. Nothing here logs or stores the raw key. Thread-safe.
 */
public final class LegacyKeys {
  /** How long a SHA-256 that matched no imported key is not looked up again. */
  public static final Duration MISS_TTL = Duration.ofSeconds(60);

  /** Most remembered misses. */
  public static final long MAX_MISSES = 100_000;

  private final KeyStore store;
  private final KeyHasher hasher;
  private final Clock clock;
  private final Cache<String, Boolean> misses =
      Caffeine.newBuilder().maximumSize(MAX_MISSES).expireAfterWrite(MISS_TTL).build();
  private volatile Set<String> prefixes = Set.of();
  private volatile Set<String> imported = Set.of();

  LegacyKeys(KeyStore store, KeyHasher hasher, Clock clock) {
    this.store = store;
    this.hasher = hasher;
    this.clock = clock;
  }

  /**
   * Re-reads the prefixes of imported keys (all of them, and those not yet re-hashed); forgets
   * remembered misses.
   */
  public void refresh() {
    prefixes = Set.copyOf(store.legacyPrefixes());
    imported = Set.copyOf(store.importedPrefixes());
    misses.invalidateAll();
  }

  /** Prefixes of imported keys not yet re-hashed, looked up by SHA-256 (for tests and metrics). */
  public Set<String> prefixes() {
    return prefixes;
  }

  /**
   * Prefixes of every imported key, re-hashed or not: keys with one of them are accepted without a
   * Keygate checksum, and the leak paths (scanner, report intake, partner and public endpoints)
   * look for them.
   */
  public Set<String> importedPrefixes() {
    return imported;
  }

  /** Whether {@code key} may be an imported key, so that a failed checksum must not reject it. */
  public boolean mayBeImported(String key) {
    return startsWithAny(imported, key);
  }

  private static boolean startsWithAny(Set<String> p, String key) {
    if (p.isEmpty() || key.length() > 512) {
      return false;
    }
    for (String prefix : p) {
      if (key.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The imported key {@code key} is, re-hashed under the current pepper on this first use, or
   * empty.
   */
  Optional<ApiKeyRecord> find(String key) {
    if (!startsWithAny(prefixes, key)) {
      return Optional.empty();
    }
    String sha = sha256Hex(key);
    if (misses.getIfPresent(sha) != null) {
      return Optional.empty();
    }
    Optional<ApiKeyRecord> old = store.findByLegacySha256(sha);
    if (old.isEmpty()) {
      misses.put(sha, Boolean.TRUE);
      return Optional.empty();
    }
    return Optional.of(
        Verifier.rehash(store, clock.instant(), old.get(), hasher.current(key), true));
  }

  /** Lower-case hex SHA-256 of {@code key}'s UTF-8 bytes. */
  public static String sha256Hex(String key) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
