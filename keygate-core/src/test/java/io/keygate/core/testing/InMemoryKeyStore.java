package io.keygate.core.testing;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.model.Quota;
import io.keygate.core.store.KeyStore;
import io.keygate.core.store.KeyStoreTx;
import io.keygate.core.store.QuotaDelta;
import io.keygate.core.store.UsageDelta;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A real, in-memory implementation of the {@link KeyStore} SPI for tests.
 *
 * <p><b>Design.</b> All committed data is one immutable {@code State} behind a volatile field, so
 * reads are lock-free and always see a committed snapshot. Transactions are serialised by one lock;
 * each works on a private copy of the key map plus a list of pending audit events and publishes
 * them together on success (copy-on-write), so an exception leaves nothing behind. {@link
 * KeyStoreTx#updateKey} keeps the stored usage fields, which only {@link #recordUsage} changes.
 * Thread-safe.
 */
public final class InMemoryKeyStore implements KeyStore {
  /** Newest first: createdAt descending, then keyId descending. */
  private static final Comparator<ApiKeyRecord> NEWEST_FIRST =
      Comparator.comparing(ApiKeyRecord::createdAt).thenComparing(ApiKeyRecord::keyId).reversed();

  private record State(
      Map<String, ApiKeyRecord> byId, List<AuditEvent> audit, List<OutboxEvent> events) {
    Optional<ApiKeyRecord> byHash(String hash) {
      return byId.values().stream().filter(r -> r.hash().equals(hash)).findFirst();
    }
  }

  private final Object lock = new Object();
  private volatile State state = new State(Map.of(), List.of(), List.of());
  private boolean inTx;
  private volatile List<LeakIncident> incidents = List.of();
  private volatile Map<String, Canary> canaryMarks = Map.of();
  private volatile int commits;

  /** Imported keys not yet re-hashed: key id to {sha256, prefix}. */
  private volatile Map<String, String[]> legacy = Map.of();

  private final Set<String> importedPrefixes = ConcurrentHashMap.newKeySet();

  private final AuditKeys auditKeys;
  private volatile AuditHead head;
  private final Map<String, Map<Integer, String>> secretChecks = new ConcurrentHashMap<>();

  /** An empty store linking its audit log under fresh random keys. */
  public InMemoryKeyStore() {
    this(TestAuditKeys.random());
  }

  /** An empty store linking its audit log under {@code auditKeys}. */
  public InMemoryKeyStore(AuditKeys auditKeys) {
    this.auditKeys = auditKeys;
    this.head = AuditHead.EMPTY;
  }

  @Override
  public <T> T inTransaction(Function<KeyStoreTx, T> work) {
    synchronized (lock) {
      if (inTx) {
        throw new IllegalStateException("nested transaction");
      }
      inTx = true;
      Tx tx = new Tx(state);
      try {
        T result = work.apply(tx);
        state = tx.commit();
        if (tx.pendingHead != null) {
          head = tx.pendingHead;
        }
        tx.publishLeaks();
        tx.publishLegacy();
        commits++;
        return result;
      } finally {
        tx.closed = true;
        inTx = false;
      }
    }
  }

  /** Number of committed transactions, for tests asserting that nothing was written. */
  public int commits() {
    return commits;
  }

  private final class Tx implements KeyStoreTx {
    private final State base;
    private final Map<String, ApiKeyRecord> keys;
    private final List<AuditEvent> pending = new ArrayList<>();
    private AuditHead pendingHead;
    private final List<OutboxEvent> pendingEvents = new ArrayList<>();
    private final List<LeakIncident> pendingIncidents = new ArrayList<>();
    private final Map<String, Canary> pendingCanaries = new HashMap<>();
    private final Map<String, String[]> pendingLegacy = new HashMap<>();
    private boolean closed;

    @Override
    public void insertImportedKey(ApiKeyRecord key, String legacySha256, String legacyPrefix) {
      for (Map<String, String[]> m : List.of(legacy, pendingLegacy)) {
        for (String[] v : m.values()) {
          if (v != null && v[0].equals(legacySha256)) {
            throw new KeygateException.Conflict("a key with this sha256 was already imported");
          }
        }
      }
      insertKey(key);
      pendingLegacy.put(key.keyId(), new String[] {legacySha256, legacyPrefix});
    }

    @Override
    public void clearLegacy(String keyId) {
      open();
      pendingLegacy.put(keyId, null);
    }

    void publishLegacy() {
      if (!pendingLegacy.isEmpty()) {
        Map<String, String[]> all = new HashMap<>(legacy);
        pendingLegacy.forEach(
            (k, v) -> {
              if (v == null) {
                all.remove(k);
              } else {
                all.put(k, v);
              }
            });
        legacy = Map.copyOf(all);
        all.values().forEach(v -> importedPrefixes.add(v[1] == null ? "" : v[1]));
      }
    }

    Tx(State base) {
      this.base = base;
      this.keys = new HashMap<>(base.byId());
    }

    private void open() {
      if (closed) {
        throw new IllegalStateException("transaction already ended");
      }
    }

    @Override
    public Optional<ApiKeyRecord> lockKey(String keyId) {
      open();
      return Optional.ofNullable(keys.get(keyId));
    }

    @Override
    public void insertKey(ApiKeyRecord key) {
      open();
      if (keys.containsKey(key.keyId())) {
        throw new KeygateException.Conflict("duplicate key id " + key.keyId());
      }
      if (keys.values().stream().anyMatch(r -> r.hash().equals(key.hash()))) {
        throw new KeygateException.Conflict("duplicate key hash for " + key.keyId());
      }
      keys.put(key.keyId(), key);
    }

    @Override
    public void updateKey(ApiKeyRecord key) {
      open();
      ApiKeyRecord cur = keys.get(key.keyId());
      if (cur == null) {
        throw new KeygateException.NotFound("no key with id " + key.keyId());
      }
      if (keys.values().stream()
          .anyMatch(r -> !r.keyId().equals(key.keyId()) && r.hash().equals(key.hash()))) {
        throw new KeygateException.Conflict("duplicate key hash for " + key.keyId());
      }
      keys.put(key.keyId(), withUsage(key, cur.lastUsedAt(), cur.usageCount()));
    }

    @Override
    public AuditEvent appendAudit(AuditEntry entry) {
      open();
      AuditChain.Appended a =
          AuditChain.append(auditKeys, pendingHead == null ? sealedHead() : pendingHead, entry);
      pending.add(a.event());
      pendingHead = a.head();
      return a.event();
    }

    @Override
    public void enqueueEvent(OutboxEvent event) {
      open();
      pendingEvents.add(event);
    }

    @Override
    public boolean insertIncident(LeakIncident incident) {
      open();
      boolean repeat =
          Stream.concat(incidents.stream(), pendingIncidents.stream())
              .anyMatch(i -> i.dedupeKey().equals(incident.dedupeKey()));
      if (repeat) {
        return false;
      }
      pendingIncidents.add(incident);
      return true;
    }

    @Override
    public void insertCanary(Canary canary) {
      open();
      if (canaryMarks.containsKey(canary.keyId())
          || pendingCanaries.putIfAbsent(canary.keyId(), canary) != null) {
        throw new KeygateException.Conflict("key " + canary.keyId() + " is already a canary");
      }
    }

    void publishLeaks() {
      if (!pendingIncidents.isEmpty()) {
        List<LeakIncident> all = new ArrayList<>(incidents);
        all.addAll(pendingIncidents);
        incidents = List.copyOf(all);
      }
      if (!pendingCanaries.isEmpty()) {
        Map<String, Canary> all = new HashMap<>(canaryMarks);
        all.putAll(pendingCanaries);
        canaryMarks = Map.copyOf(all);
      }
    }

    State commit() {
      List<AuditEvent> audit = new ArrayList<>(base.audit());
      audit.addAll(pending);
      List<OutboxEvent> events = new ArrayList<>(base.events());
      events.addAll(pendingEvents);
      return new State(Map.copyOf(keys), List.copyOf(audit), List.copyOf(events));
    }
  }

  private static ApiKeyRecord withUsage(ApiKeyRecord r, Instant lastUsedAt, long usageCount) {
    return new ApiKeyRecord(
        r.keyId(),
        r.type(),
        r.hint(),
        r.hash(),
        r.pepperVersion(),
        r.ownerId(),
        r.settings(),
        r.status(),
        r.createdAt(),
        r.updatedAt(),
        r.expiresAt(),
        r.revokedAt(),
        r.revokeReason(),
        r.revokesAt(),
        r.rotatedFrom(),
        r.rotatedTo(),
        lastUsedAt,
        usageCount);
  }

  @Override
  public List<OutboxEvent> outbox(String ownerId, String keyId, int limit) {
    List<OutboxEvent> all = new ArrayList<>(state.events());
    Collections.reverse(all);
    return all.stream()
        .filter(e -> ownerId == null || ownerId.equals(e.ownerId()))
        .filter(e -> keyId == null || keyId.equals(e.keyId()))
        .limit(limit)
        .toList();
  }

  @Override
  public Optional<ApiKeyRecord> findByHash(String hash) {
    return state.byHash(hash);
  }

  @Override
  public Optional<ApiKeyRecord> findByLegacySha256(String sha256Hex) {
    for (Map.Entry<String, String[]> e : legacy.entrySet()) {
      if (e.getValue()[0].equals(sha256Hex)) {
        return Optional.ofNullable(state.byId().get(e.getKey()));
      }
    }
    return Optional.empty();
  }

  @Override
  public Set<String> importedPrefixes() {
    return Set.copyOf(importedPrefixes);
  }

  @Override
  public Set<String> legacyPrefixes() {
    Set<String> out = new HashSet<>();
    legacy.values().forEach(v -> out.add(v[1] == null ? "" : v[1]));
    return Set.copyOf(out);
  }

  @Override
  public Optional<ApiKeyRecord> findById(String keyId) {
    return Optional.ofNullable(state.byId().get(keyId));
  }

  @Override
  public Page<ApiKeyRecord> list(KeyQuery query, Instant now) {
    ApiKeyRecord after = query.cursor() == null ? null : decodeCursor(query.cursor());
    List<ApiKeyRecord> matching =
        state.byId().values().stream()
            .filter(query::kindMatches)
            .filter(r -> query.ownerId() == null || query.ownerId().equals(r.ownerId()))
            .filter(r -> query.type() == null || query.type().equals(r.type()))
            .filter(r -> query.status() == null || r.effectiveStatus(now) == query.status())
            .filter(r -> after == null || NEWEST_FIRST.compare(r, after) > 0)
            .sorted(NEWEST_FIRST)
            .limit(query.limit() + 1L)
            .toList();
    if (matching.size() <= query.limit()) {
      return new Page<>(matching, null);
    }
    List<ApiKeyRecord> page = matching.subList(0, query.limit());
    return new Page<>(page, encodeCursor(page.get(page.size() - 1)));
  }

  private static String encodeCursor(ApiKeyRecord last) {
    String raw = last.createdAt() + "|" + last.keyId();
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** A stand-in record carrying only the cursor's sort fields. */
  private static ApiKeyRecord decodeCursor(String cursor) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      int bar = raw.indexOf('|');
      Instant createdAt = Instant.parse(raw.substring(0, bar));
      String keyId = raw.substring(bar + 1);
      return TestKeys.key(
          keyId,
          createdAt,
          k -> {
            k.type = "-";
            k.hash = "-";
            k.pepperVersion = 0;
            k.owner = null;
            k.settings = new KeySettings(null, null, null, null, null);
          });
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("invalid cursor", e);
    }
  }

  @Override
  public List<ApiKeyRecord> dueForRevocation(Instant now, int limit) {
    return state.byId().values().stream()
        .filter(r -> r.status() != KeyStatus.REVOKED)
        .filter(r -> r.revokesAt() != null && !r.revokesAt().isAfter(now))
        .sorted(Comparator.comparing(ApiKeyRecord::revokesAt).thenComparing(ApiKeyRecord::keyId))
        .limit(limit)
        .toList();
  }

  @Override
  public void recordUsage(Collection<UsageDelta> deltas) {
    synchronized (lock) {
      Map<String, ApiKeyRecord> keys = new HashMap<>(state.byId());
      for (UsageDelta d : deltas) {
        ApiKeyRecord r = keys.get(d.keyId());
        if (r == null) {
          continue;
        }
        Instant last =
            r.lastUsedAt() == null || d.lastUsedAt().isAfter(r.lastUsedAt())
                ? d.lastUsedAt()
                : r.lastUsedAt();
        keys.put(r.keyId(), withUsage(r, last, r.usageCount() + d.count()));
      }
      state = new State(Map.copyOf(keys), state.audit(), state.events());
      commits++;
    }
  }

  @Override
  public void recordQuotaUsage(Collection<QuotaDelta> deltas) {
    synchronized (lock) {
      Map<String, ApiKeyRecord> keys = new HashMap<>(state.byId());
      for (QuotaDelta d : deltas) {
        ApiKeyRecord r = keys.get(d.keyId());
        if (r == null || r.settings().quota() == null) {
          continue;
        }
        Quota q = r.settings().quota();
        long balance = q.remaining();
        Instant refilledAt = q.refilledAt();
        if (q.refill() != null && d.periodStart() != null && refilledAt.isBefore(d.periodStart())) {
          balance = q.refillAmount();
          refilledAt = d.periodStart();
        }
        Quota next =
            new Quota(
                Math.max(0, balance - d.consumed()), q.refillAmount(), q.refill(), refilledAt);
        keys.put(
            r.keyId(), r.withSettings(r.settings().withQuota(next), r.expiresAt(), r.updatedAt()));
      }
      state = new State(Map.copyOf(keys), state.audit(), state.events());
      commits++;
    }
  }

  @Override
  public List<AuditEvent> audit(AuditQuery query) {
    List<AuditEvent> all = state.audit();
    List<AuditEvent> out = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && out.size() < query.limit(); i--) {
      AuditEvent ev = all.get(i);
      if (query.beforeSeq() != null && ev.seq() >= query.beforeSeq()) {
        continue;
      }
      if (query.targetId() != null && !query.targetId().equals(ev.entry().targetId())) {
        continue;
      }
      if (query.ownerId() != null && !query.ownerId().equals(ev.entry().ownerId())) {
        continue;
      }
      out.add(ev);
    }
    return List.copyOf(out);
  }

  /** The random audit keys this store links its events under. */
  public AuditKeys auditKeys() {
    return auditKeys;
  }

  @Override
  public AuditHead auditHead() {
    return head;
  }

  @Override
  public AuditHead sealAuditHead() {
    synchronized (lock) {
      return sealedHead();
    }
  }

  /**
   * The head, sealed under {@link #auditKeys} first (recording the key's check value) if it is not
   * yet, as the JDBC store does. Called under {@link #lock}.
   */
  private AuditHead sealedHead() {
    if (!head.sealed()) {
      head = AuditChain.seal(auditKeys, head);
      int version = head.keyVersion();
      recordSecretCheck(AuditKeys.SECRET, version, auditKeys.checkValue(version));
    }
    return head;
  }

  @Override
  public Map<Integer, String> secretChecks(String secret) {
    return Collections.unmodifiableMap(new TreeMap<>(secretChecks.getOrDefault(secret, Map.of())));
  }

  @Override
  public String recordSecretCheck(String secret, int version, String value) {
    return secretChecks
        .computeIfAbsent(secret, s -> new ConcurrentSkipListMap<>())
        .computeIfAbsent(version, v -> value);
  }

  @Override
  public List<AuditEvent> auditAfter(long afterSeq, int limit) {
    return state.audit().stream().filter(e -> e.seq() > afterSeq).limit(limit).toList();
  }

  private static final Comparator<LeakIncident> INCIDENTS_NEWEST_FIRST =
      Comparator.comparing(LeakIncident::reportedAt)
          .thenComparing(LeakIncident::incidentId)
          .reversed();

  private static final Comparator<Canary> CANARIES_NEWEST_FIRST =
      Comparator.comparing(Canary::createdAt).thenComparing(Canary::keyId).reversed();

  @Override
  public Page<LeakIncident> incidents(IncidentQuery query) {
    String[] after = query.cursor() == null ? null : decodeLeakCursor(query.cursor());
    List<LeakIncident> matching =
        incidents.stream()
            .filter(i -> query.ownerId() == null || query.ownerId().equals(i.ownerId()))
            .filter(i -> query.keyId() == null || query.keyId().equals(i.keyId()))
            .sorted(INCIDENTS_NEWEST_FIRST)
            .filter(
                i ->
                    after == null
                        || i.reportedAt().toEpochMilli() < Long.parseLong(after[0])
                        || (i.reportedAt().toEpochMilli() == Long.parseLong(after[0])
                            && i.incidentId().compareTo(after[1]) < 0))
            .limit(query.limit() + 1L)
            .toList();
    if (matching.size() <= query.limit()) {
      return new Page<>(matching, null);
    }
    LeakIncident last = matching.get(query.limit() - 1);
    return new Page<>(
        matching.subList(0, query.limit()),
        encodeLeakCursor(last.reportedAt().toEpochMilli(), last.incidentId()));
  }

  @Override
  public Optional<Canary> findCanary(String keyId) {
    return Optional.ofNullable(canaryMarks.get(keyId));
  }

  @Override
  public Page<Canary> canaries(String ownerId, int limit, String cursor) {
    String[] after = cursor == null ? null : decodeLeakCursor(cursor);
    List<Canary> matching =
        canaryMarks.values().stream()
            .filter(c -> ownerId == null || ownerId.equals(c.ownerId()))
            .sorted(CANARIES_NEWEST_FIRST)
            .filter(
                c ->
                    after == null
                        || c.createdAt().toEpochMilli() < Long.parseLong(after[0])
                        || (c.createdAt().toEpochMilli() == Long.parseLong(after[0])
                            && c.keyId().compareTo(after[1]) < 0))
            .limit(limit + 1L)
            .toList();
    if (matching.size() <= limit) {
      return new Page<>(matching, null);
    }
    Canary last = matching.get(limit - 1);
    return new Page<>(
        matching.subList(0, limit),
        encodeLeakCursor(last.createdAt().toEpochMilli(), last.keyId()));
  }

  private static String encodeLeakCursor(long millis, String id) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString((millis + ":" + id).getBytes(StandardCharsets.UTF_8));
  }

  private static String[] decodeLeakCursor(String cursor) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      int colon = raw.indexOf(':');
      String[] parts = {raw.substring(0, colon), raw.substring(colon + 1)};
      Long.parseLong(parts[0]);
      if (parts[1].isEmpty()) {
        throw new IllegalArgumentException("invalid cursor");
      }
      return parts;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("invalid cursor", e);
    }
  }

  @Override
  public void close() {}
}
