package io.keygate.server.monitor;

import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.monitor.GrantUse;
import io.keygate.core.request.IpAllowlist;
import io.keygate.core.verify.VerifyRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Grant-use tracking of {@link AnomalyDetector} (not a detector: it raises no alert): when each
 * granted scope and allowlist entry of a key was last used. The hot path notes uses in a per-key
 * {@link Grants} (lock-free, a time written at most once a second per grant); {@link #unflushed}
 * collects what the store does not have yet.
 */
final class GrantUses {
  private GrantUses() {}

  /** One key's grant uses. */
  static final class Grants {
    private final ConcurrentHashMap<String, Use> scopes = new ConcurrentHashMap<>(4);
    private volatile NamedUse lastScope; // the scope used last: most requests use the same again
    private final ConcurrentHashMap<String, Use> ips = new ConcurrentHashMap<>(4);
    private volatile ParsedAllowlist allowlist;

    boolean flushed() {
      return scopes.values().stream().allMatch(Use::flushed)
          && ips.values().stream().allMatch(Use::flushed);
    }
  }

  /** When a grant (scope or allowlist entry) was last used, and what the store already has. */
  private static final class Use {
    final AtomicLong last = new AtomicLong();
    volatile long flushed; // written under the detector's lock

    void at(long now) {
      long prev = last.get();
      if (now - prev >= AnomalyDetector.SEEN_RESOLUTION_MS) {
        last.compareAndSet(prev, now); // losing the race to a later time is fine
      }
    }

    boolean flushed() {
      return last.get() <= flushed;
    }
  }

  /** A grant's name with its {@link Use} (uses are never removed, so holding one stays valid). */
  private record NamedUse(String name, Use use) {}

  private record ParsedAllowlist(List<String> entries, List<IpAllowlist> each) {}

  /** Notes the grants of {@code key} that the valid request {@code req} used at {@code now}. */
  static void record(Grants g, ApiKeyRecord key, VerifyRequest req, long now) {
    List<String> granted = key.settings().scopes();
    for (String r : req.requiredScopes()) {
      if (granted.contains(r)) {
        NamedUse last = g.lastScope;
        if (last != null && last.name().equals(r)) {
          last.use().at(now);
        } else {
          g.lastScope = new NamedUse(r, use(g.scopes, r, now));
        }
        break;
      }
    }
    for (String r : req.requiredScopesAll()) {
      use(g.scopes, r, now);
    }
    List<String> entries = key.settings().ipAllowlist();
    if (entries == null || entries.isEmpty() || req.ip() == null) {
      return;
    }
    ParsedAllowlist p = g.allowlist;
    if (p == null || !p.entries().equals(entries)) {
      List<IpAllowlist> each = new ArrayList<>(entries.size());
      for (String e : entries) {
        each.add(IpAllowlist.parse(List.of(e)));
      }
      p = new ParsedAllowlist(List.copyOf(entries), each);
      g.allowlist = p;
    }
    for (int i = 0; i < p.each().size(); i++) {
      if (p.each().get(i).allows(req.ip())) {
        use(g.ips, entries.get(i), now);
        return;
      }
    }
  }

  private static Use use(ConcurrentHashMap<String, Use> uses, String grant, long now) {
    Use u = uses.get(grant);
    if (u == null) {
      u = uses.computeIfAbsent(grant, g -> new Use());
    }
    u.at(now);
    return u;
  }

  /**
   * Adds the uses of {@code keyId} newer than what was flushed to {@code out}; with {@code marks}
   * non-null, also adds one action per use that marks it flushed (run them once the store has the
   * uses).
   */
  static void unflushed(String keyId, Grants g, List<GrantUse> out, List<Runnable> marks) {
    unflushed(keyId, GrantUse.SCOPE, g.scopes, out, marks);
    unflushed(keyId, GrantUse.IP, g.ips, out, marks);
  }

  private static void unflushed(
      String keyId,
      String kind,
      ConcurrentHashMap<String, Use> grants,
      List<GrantUse> out,
      List<Runnable> marks) {
    grants.forEach(
        (value, u) -> {
          long last = u.last.get();
          if (last > u.flushed) {
            out.add(new GrantUse(keyId, kind, value, Instant.ofEpochMilli(last)));
            if (marks != null) {
              marks.add(() -> u.flushed = last);
            }
          }
        });
  }
}
