package io.keygate.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditQuery;
import io.keygate.core.audit.AuditVerifier;
import io.keygate.core.events.OutboxEvent;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.leaks.Canary;
import io.keygate.core.leaks.Exposure;
import io.keygate.core.leaks.IncidentQuery;
import io.keygate.core.leaks.LeakAction;
import io.keygate.core.leaks.LeakIncident;
import io.keygate.core.leaks.LeakLocation;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeySettings;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.model.Page;
import io.keygate.core.model.Quota;
import io.keygate.core.model.RateLimit;
import io.keygate.core.testing.ManualClock;
import io.keygate.core.testing.TestAuditKeys;
import io.keygate.core.testing.TestKeys;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link KeyStore} must show. A store module extends this class and supplies
 * {@link #newStore()}; each test gets its own empty store and closes it afterwards.
 *
 * <p>Times are relative to a fixed {@link #NOW} and have millisecond precision, the precision
 * stores are required to keep. Key material is never involved: hashes and ids are random values
 * generated at run time.
 */
public abstract class KeyStoreContractTest {
  /** The fixed "current time" the tests evaluate statuses at. */
  protected static final Instant NOW = new ManualClock().instant();

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int THREADS = 8;

  /** The store under test, fresh for every test. */
  protected KeyStore store;

  /** The audit keys {@link #newStore()} must give the store, fresh for every test. */
  protected final AuditKeys auditKeys = TestAuditKeys.random();

  /**
   * A new, empty store linking audit events under {@link #auditKeys}: no keys, no audit events.
   * Called once per test; the test closes it.
   */
  protected abstract KeyStore newStore();

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---------------------------------------------------------------- imported keys (SHA-256)

  @Test
  void insertImportedKey_findByLegacySha256_andPrefixes_untilCleared() {
    ApiKeyRecord imported = key("owner_i", NOW);
    String sha = "ab".repeat(32);
    store.inTransaction(
        tx -> {
          tx.insertImportedKey(imported, sha, "acme_");
          return null;
        });
    assertThat(store.findByLegacySha256(sha)).contains(imported);
    assertThat(store.findByLegacySha256("cd".repeat(32))).isEmpty();
    assertThat(store.legacyPrefixes()).containsExactly("acme_");

    ApiKeyRecord rehashed = imported.withHash(newHash(), 1, NOW);
    store.inTransaction(
        tx -> {
          tx.updateKey(rehashed);
          tx.clearLegacy(imported.keyId());
          return null;
        });
    assertThat(store.findByLegacySha256(sha)).isEmpty();
    assertThat(store.legacyPrefixes()).isEmpty();
    // the prefix stays known: the re-hashed key has no Keygate checksum and must still be looked up
    assertThat(store.importedPrefixes()).containsExactly("acme_");
    assertThat(store.findByHash(rehashed.hash())).contains(rehashed);
  }

  @Test
  void insertImportedKey_duplicateSha256_conflictsAndWritesNothing() {
    String sha = "12".repeat(32);
    store.inTransaction(
        tx -> {
          tx.insertImportedKey(key("owner_i", NOW), sha, "");
          return null;
        });
    ApiKeyRecord second = key("owner_i", NOW);
    assertThatThrownBy(
            () ->
                store.inTransaction(
                    tx -> {
                      tx.insertImportedKey(second, sha, "");
                      return null;
                    }))
        .isInstanceOf(KeygateException.Conflict.class);
    assertThat(store.findById(second.keyId())).isEmpty();
    assertThat(store.legacyPrefixes()).containsExactly("");
  }

  // ---------------------------------------------------------------- insert and find

  @Test
  void insert_withEveryField_findByIdAndHashReturnEqualRecord() {
    ApiKeyRecord full = fullRecord();
    store.inTransaction(
        tx -> {
          tx.insertKey(full);
          return null;
        });

    assertThat(store.findById(full.keyId())).contains(full);
    assertThat(store.findByHash(full.hash())).contains(full);
  }

  @Test
  void insert_withOnlyRequiredFields_roundTripsNulls() {
    ApiKeyRecord minimal =
        TestKeys.key(
            newKeyId(),
            NOW,
            k -> {
              k.type = "admin";
              k.hash = newHash();
              k.owner = null;
              k.settings = new KeySettings(null, null, null, null, null);
            });
    store.inTransaction(
        tx -> {
          tx.insertKey(minimal);
          return null;
        });

    assertThat(store.findById(minimal.keyId())).contains(minimal);
  }

  @Test
  void find_unknownIdOrHash_returnsEmpty() {
    store.inTransaction(
        tx -> {
          tx.insertKey(key("owner", NOW));
          return null;
        });

    assertThat(store.findById(newKeyId())).isEmpty();
    assertThat(store.findByHash(newHash())).isEmpty();
  }

  @Test
  void insert_duplicateHash_rollsBackWholeTransactionIncludingAudit() {
    ApiKeyRecord first = key("owner", NOW);
    store.inTransaction(
        tx -> {
          tx.insertKey(first);
          return null;
        });
    ApiKeyRecord other = key("owner", NOW);
    ApiKeyRecord sameHash = withHash(key("owner", NOW), first.hash());

    assertThatThrownBy(
            () ->
                store.inTransaction(
                    tx -> {
                      tx.insertKey(other);
                      tx.appendAudit(entry("key.created", other.keyId(), "owner"));
                      tx.insertKey(sameHash);
                      return null;
                    }))
        .isInstanceOf(KeygateException.Conflict.class);

    assertThat(store.findById(other.keyId())).isEmpty();
    assertThat(store.findById(sameHash.keyId())).isEmpty();
    assertThat(store.findByHash(first.hash())).contains(first);
    assertThat(store.auditAfter(0, 10)).isEmpty();
  }

  @Test
  void insert_duplicateId_isConflict() {
    ApiKeyRecord first = key("owner", NOW);
    store.inTransaction(
        tx -> {
          tx.insertKey(first);
          return null;
        });
    ApiKeyRecord sameId = withHash(first, newHash());

    assertThatThrownBy(
            () ->
                store.inTransaction(
                    tx -> {
                      tx.insertKey(sameId);
                      return null;
                    }))
        .isInstanceOf(KeygateException.Conflict.class);
    assertThat(store.findById(first.keyId())).contains(first);
  }

  // ---------------------------------------------------------------- transactions

  @Test
  void inTransaction_returnsTheWorksResult() {
    ApiKeyRecord k = key("owner", NOW);

    String result =
        store.inTransaction(
            tx -> {
              tx.insertKey(k);
              return "done";
            });

    assertThat(result).isEqualTo("done");
  }

  @Test
  void inTransaction_whenWorkThrows_rethrowsSameExceptionAndLeavesNoTrace() {
    ApiKeyRecord k = key("owner", NOW);
    IllegalStateException boom = new IllegalStateException("boom");

    assertThatThrownBy(
            () ->
                store.inTransaction(
                    tx -> {
                      tx.insertKey(k);
                      tx.appendAudit(entry("key.created", k.keyId(), "owner"));
                      throw boom;
                    }))
        .isSameAs(boom);

    assertThat(store.findById(k.keyId())).isEmpty();
    assertThat(store.auditAfter(0, 10)).isEmpty();
    AuditEvent next =
        store.inTransaction(tx -> tx.appendAudit(entry("key.created", k.keyId(), "owner")));
    assertThat(next.seq()).isEqualTo(1);
    assertThat(next.prevHash()).isEqualTo(AuditChain.GENESIS);
  }

  // ---------------------------------------------------------------- update and lock

  @Test
  void updateKey_storesMutableFieldsButLeavesUsageAlone() {
    ApiKeyRecord original = fullRecord();
    store.inTransaction(
        tx -> {
          tx.insertKey(original);
          return null;
        });
    Instant later = NOW.plusSeconds(30);
    ApiKeyRecord changed =
        new ApiKeyRecord(
            original.keyId(),
            original.type(),
            original.hint(),
            newHash(),
            original.pepperVersion() + 1,
            original.ownerId(),
            new KeySettings(
                "renamed",
                List.of("read"),
                List.of(),
                List.of(new RateLimit("default", 5, Duration.ofHours(1))),
                Map.of("changed", true)),
            KeyStatus.REVOKED,
            original.createdAt(),
            later,
            NOW.plus(Duration.ofDays(10)),
            later,
            "compromised",
            later,
            "key_from",
            "key_to",
            NOW.plusSeconds(999),
            12_345);

    store.inTransaction(
        tx -> {
          tx.updateKey(changed);
          return null;
        });

    ApiKeyRecord stored = store.findById(original.keyId()).orElseThrow();
    assertThat(stored)
        .usingRecursiveComparison()
        .ignoringFields("lastUsedAt", "usageCount")
        .isEqualTo(changed);
    assertThat(stored.lastUsedAt()).isEqualTo(original.lastUsedAt());
    assertThat(stored.usageCount()).isEqualTo(original.usageCount());
    assertThat(store.findByHash(changed.hash())).contains(stored);
    assertThat(store.findByHash(original.hash())).isEmpty();
  }

  @Test
  void updateKey_unknownKey_isNotFound() {
    assertThatThrownBy(
            () ->
                store.inTransaction(
                    tx -> {
                      tx.updateKey(key("owner", NOW));
                      return null;
                    }))
        .isInstanceOf(KeygateException.NotFound.class);
  }

  @Test
  void lockKey_returnsCurrentRecordOrEmpty() {
    ApiKeyRecord k = fullRecord();
    store.inTransaction(
        tx -> {
          tx.insertKey(k);
          return null;
        });

    Optional<ApiKeyRecord> locked = store.inTransaction(tx -> tx.lockKey(k.keyId()));
    Optional<ApiKeyRecord> unknown = store.inTransaction(tx -> tx.lockKey(newKeyId()));

    assertThat(locked).contains(k);
    assertThat(unknown).isEmpty();
  }

  @Test
  void lockKey_concurrentReadModifyWrite_losesNoUpdate() throws Exception {
    ApiKeyRecord k =
        key("owner", NOW).withSettings(new KeySettings("0", null, null, null, null), null, NOW);
    store.inTransaction(
        tx -> {
          tx.insertKey(k);
          return null;
        });
    int perThread = 10;

    runConcurrently(
        4,
        () -> {
          for (int i = 0; i < perThread; i++) {
            store.inTransaction(
                tx -> {
                  ApiKeyRecord cur = tx.lockKey(k.keyId()).orElseThrow();
                  int n = Integer.parseInt(cur.settings().name());
                  KeySettings s = cur.settings();
                  tx.updateKey(
                      cur.withSettings(
                          new KeySettings(
                              Integer.toString(n + 1),
                              s.scopes(),
                              s.ipAllowlist(),
                              s.rateLimits(),
                              s.meta()),
                          cur.expiresAt(),
                          NOW));
                  return null;
                });
          }
          return null;
        });

    assertThat(store.findById(k.keyId()).orElseThrow().settings().name())
        .isEqualTo(Integer.toString(4 * perThread));
  }

  // ---------------------------------------------------------------- list

  @Test
  void list_everyStatusFilter_pagesThroughExactlyTheMatchingKeysNewestFirst() {
    List<ApiKeyRecord> all = listFixture();
    insertAll(all);

    for (Instant at : List.of(NOW, NOW.minus(Duration.ofHours(2)))) {
      for (KeyStatus status : statusFilters()) {
        List<String> expected = expectedIds(all, at, status, null, null);
        assertThat(pageThrough(new KeyQuery(null, status, null, 4, null), at))
            .as("status %s at %s", status, at)
            .isEqualTo(expected);
      }
    }
    assertThat(expectedIds(all, NOW, null, null, null)).hasSize(all.size());
    for (KeyStatus s : List.of(KeyStatus.values())) {
      assertThat(expectedIds(all, NOW, s, null, null)).as("fixture covers %s", s).isNotEmpty();
    }
  }

  @Test
  void list_ownerAndTypeFilters_combineWithStatus() {
    List<ApiKeyRecord> all = listFixture();
    insertAll(all);

    for (KeyStatus status : statusFilters()) {
      for (String owner : List.of("owner-a", "owner-b")) {
        assertThat(pageThrough(new KeyQuery(owner, status, null, 3, null), NOW))
            .as("owner %s status %s", owner, status)
            .isEqualTo(expectedIds(all, NOW, status, owner, null));
      }
      assertThat(pageThrough(new KeyQuery(null, status, "test_secret", 3, null), NOW))
          .as("type test_secret status %s", status)
          .isEqualTo(expectedIds(all, NOW, status, null, "test_secret"));
      assertThat(pageThrough(new KeyQuery("owner-a", status, "live_secret", 2, null), NOW))
          .as("owner-a live_secret status %s", status)
          .isEqualTo(expectedIds(all, NOW, status, "owner-a", "live_secret"));
    }
  }

  @Test
  void list_neverMixesApiKeysAndAdminTokens_whateverTheFilters() {
    List<ApiKeyRecord> keys = new ArrayList<>();
    List<ApiKeyRecord> tokens = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      Instant at = NOW.minusSeconds(i);
      keys.add(
          record(
              newKeyId(),
              "live_secret",
              i % 2 == 0 ? "acme" : null,
              at,
              KeyStatus.ACTIVE,
              null,
              null));
      tokens.add(
          record(
              newKeyId(),
              KeyTypes.ADMIN,
              i % 2 == 0 ? "acme" : null,
              at,
              KeyStatus.ACTIVE,
              null,
              null));
    }
    insertAll(keys);
    insertAll(tokens);
    for (String owner : Arrays.asList(null, "acme")) {
      for (String type : Arrays.asList(null, KeyTypes.ADMIN, "live_secret")) {
        for (KeyStatus status : Arrays.asList(null, KeyStatus.ACTIVE)) {
          KeyQuery q = new KeyQuery(owner, status, type, 2, null);
          List<String> apiKeys = pageThrough(q, NOW);
          List<String> adminTokens = pageThrough(q.ofAdminTokens(true), NOW);
          assertThat(apiKeys)
              .as("keys %s %s %s", owner, type, status)
              .doesNotContainAnyElementsOf(ids(tokens));
          assertThat(adminTokens)
              .as("tokens %s %s %s", owner, type, status)
              .doesNotContainAnyElementsOf(ids(keys));
          if (!KeyTypes.ADMIN.equals(type)) {
            assertThat(apiKeys)
                .hasSize(
                    (int)
                        keys.stream()
                            .filter(k -> owner == null || owner.equals(k.ownerId()))
                            .count());
          }
          if (!"live_secret".equals(type)) {
            assertThat(adminTokens)
                .hasSize(
                    (int)
                        tokens.stream()
                            .filter(k -> owner == null || owner.equals(k.ownerId()))
                            .count());
          }
        }
      }
    }
  }

  @Test
  void list_pageExactlyFilledByLastKeys_hasNoNextCursor() {
    List<ApiKeyRecord> keys = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      keys.add(key("owner", NOW.minusSeconds(i)));
    }
    insertAll(keys);

    Page<ApiKeyRecord> first = store.list(new KeyQuery(null, null, null, 3, null), NOW);
    Page<ApiKeyRecord> second =
        store.list(new KeyQuery(null, null, null, 3, first.nextCursor()), NOW);

    assertThat(first.items()).hasSize(3);
    assertThat(first.nextCursor()).isNotNull();
    assertThat(second.items()).hasSize(3);
    assertThat(second.nextCursor()).isNull();
    assertThat(store.list(new KeyQuery(null, null, null, 6, null), NOW).nextCursor()).isNull();
  }

  @Test
  void list_emptyStore_returnsEmptyLastPage() {
    Page<ApiKeyRecord> page = store.list(new KeyQuery(null, null, null, 10, null), NOW);

    assertThat(page.items()).isEmpty();
    assertThat(page.nextCursor()).isNull();
  }

  @Test
  void list_malformedCursor_isIllegalArgument() {
    insertAll(List.of(key("owner", NOW)));
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    List<String> bad =
        List.of(
            "not base64!",
            b64.encodeToString("no-colon".getBytes(StandardCharsets.UTF_8)),
            b64.encodeToString("abc:key_x".getBytes(StandardCharsets.UTF_8)),
            b64.encodeToString("123:".getBytes(StandardCharsets.UTF_8)),
            b64.encodeToString(":key_x".getBytes(StandardCharsets.UTF_8)));

    for (String cursor : bad) {
      assertThatThrownBy(() -> store.list(new KeyQuery(null, null, null, 10, cursor), NOW))
          .as(cursor)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("invalid cursor");
    }
  }

  // ---------------------------------------------------------------- sweep

  @Test
  void dueForRevocation_returnsActiveOrDisabledKeysPastTheirDeadline_oldestFirst() {
    ApiKeyRecord dueLongAgo = scheduled(KeyStatus.ACTIVE, NOW.minus(Duration.ofDays(2)));
    ApiKeyRecord dueDisabled = scheduled(KeyStatus.DISABLED, NOW.minus(Duration.ofHours(1)));
    ApiKeyRecord dueExactlyNow = scheduled(KeyStatus.ACTIVE, NOW);
    ApiKeyRecord alreadyRevoked = scheduled(KeyStatus.REVOKED, NOW.minus(Duration.ofDays(3)));
    ApiKeyRecord notYet = scheduled(KeyStatus.ACTIVE, NOW.plusMillis(1));
    ApiKeyRecord unscheduled = key("owner", NOW.minus(Duration.ofDays(5)));
    insertAll(List.of(dueExactlyNow, notYet, alreadyRevoked, dueDisabled, unscheduled, dueLongAgo));

    assertThat(ids(store.dueForRevocation(NOW, 10)))
        .containsExactly(dueLongAgo.keyId(), dueDisabled.keyId(), dueExactlyNow.keyId());
    assertThat(ids(store.dueForRevocation(NOW, 2)))
        .containsExactly(dueLongAgo.keyId(), dueDisabled.keyId());
    assertThat(store.dueForRevocation(NOW.minus(Duration.ofDays(4)), 10)).isEmpty();
  }

  // ---------------------------------------------------------------- usage

  @Test
  void recordUsage_addsCountsAndOnlyMovesLastUsedForward() {
    ApiKeyRecord a = key("owner", NOW);
    ApiKeyRecord b = key("owner", NOW);
    insertAll(List.of(a, b));

    store.recordUsage(
        List.of(
            new UsageDelta(a.keyId(), 3, NOW.plusSeconds(10)),
            new UsageDelta(b.keyId(), 1, NOW.plusSeconds(5)),
            new UsageDelta(newKeyId(), 9, NOW.plusSeconds(5))));
    store.recordUsage(List.of(new UsageDelta(a.keyId(), 2, NOW.plusSeconds(4))));
    store.recordUsage(
        List.of(
            new UsageDelta(b.keyId(), 4, NOW.plusSeconds(20)),
            new UsageDelta(b.keyId(), 1, NOW.plusSeconds(15))));
    store.recordUsage(List.of());

    ApiKeyRecord storedA = store.findById(a.keyId()).orElseThrow();
    ApiKeyRecord storedB = store.findById(b.keyId()).orElseThrow();
    assertThat(storedA.usageCount()).isEqualTo(5);
    assertThat(storedA.lastUsedAt()).isEqualTo(NOW.plusSeconds(10));
    assertThat(storedB.usageCount()).isEqualTo(6);
    assertThat(storedB.lastUsedAt()).isEqualTo(NOW.plusSeconds(20));
  }

  // ---------------------------------------------------------------- quotas

  private ApiKeyRecord withQuota(ApiKeyRecord k, Quota q) {
    return k.withSettings(k.settings().withQuota(q), k.expiresAt(), k.updatedAt());
  }

  @Test
  void quota_roundTripsThroughInsertAndUpdate_andIsNullWithoutOne() {
    Quota q = new Quota(1000, 500, Quota.Refill.MONTHLY, NOW.minusSeconds(60));
    ApiKeyRecord a = withQuota(key("owner", NOW), q);
    ApiKeyRecord plain = key("owner", NOW);
    insertAll(List.of(a, plain));

    assertThat(store.findById(a.keyId()).orElseThrow().settings().quota()).isEqualTo(q);
    assertThat(store.findById(plain.keyId()).orElseThrow().settings().quota()).isNull();

    Quota once = new Quota(7, 0, null, NOW);
    store.inTransaction(
        tx -> {
          tx.updateKey(withQuota(a, once));
          return null;
        });
    assertThat(store.findById(a.keyId()).orElseThrow().settings().quota()).isEqualTo(once);
  }

  @Test
  void recordQuotaUsage_subtractsNeverBelowZero_andSkipsKeysWithoutQuota() {
    ApiKeyRecord a = withQuota(key("owner", NOW), new Quota(10, 0, null, NOW));
    ApiKeyRecord plain = key("owner", NOW);
    insertAll(List.of(a, plain));

    store.recordQuotaUsage(
        List.of(
            new QuotaDelta(a.keyId(), 3, null),
            new QuotaDelta(plain.keyId(), 5, null),
            new QuotaDelta(newKeyId(), 5, null)));
    assertThat(store.findById(a.keyId()).orElseThrow().settings().quota().remaining()).isEqualTo(7);
    store.recordQuotaUsage(List.of(new QuotaDelta(a.keyId(), 50, null)));
    assertThat(store.findById(a.keyId()).orElseThrow().settings().quota().remaining()).isZero();
    assertThat(store.findById(plain.keyId()).orElseThrow().settings().quota()).isNull();
    store.recordQuotaUsage(List.of());
  }

  @Test
  void recordQuotaUsage_newPeriod_resetsToRefillAmountFirst() {
    Instant day1 = Instant.parse("2026-01-01T00:00:00Z");
    Instant day2 = day1.plus(Duration.ofDays(1));
    ApiKeyRecord a = withQuota(key("owner", NOW), new Quota(2, 100, Quota.Refill.DAILY, day1));
    insertAll(List.of(a));

    store.recordQuotaUsage(List.of(new QuotaDelta(a.keyId(), 1, day1)));
    Quota q = store.findById(a.keyId()).orElseThrow().settings().quota();
    assertThat(q.remaining()).isEqualTo(1);
    assertThat(q.refilledAt()).isEqualTo(day1);

    store.recordQuotaUsage(List.of(new QuotaDelta(a.keyId(), 30, day2)));
    q = store.findById(a.keyId()).orElseThrow().settings().quota();
    assertThat(q.remaining()).isEqualTo(70);
    assertThat(q.refilledAt()).isEqualTo(day2);

    store.recordQuotaUsage(List.of(new QuotaDelta(a.keyId(), 5, day2)));
    assertThat(store.findById(a.keyId()).orElseThrow().settings().quota().remaining())
        .isEqualTo(65);
  }

  @Test
  void recordUsage_concurrentFlushes_countsAddUp() throws Exception {
    ApiKeyRecord a = key("owner", NOW);
    ApiKeyRecord b = key("owner", NOW);
    insertAll(List.of(a, b));
    AtomicInteger tick = new AtomicInteger();

    runConcurrently(
        4,
        () -> {
          for (int i = 0; i < 25; i++) {
            Instant at = NOW.plusSeconds(tick.incrementAndGet());
            store.recordUsage(
                List.of(new UsageDelta(b.keyId(), 2, at), new UsageDelta(a.keyId(), 1, at)));
          }
          return null;
        });

    assertThat(store.findById(a.keyId()).orElseThrow().usageCount()).isEqualTo(100);
    assertThat(store.findById(b.keyId()).orElseThrow().usageCount()).isEqualTo(200);
    assertThat(store.findById(a.keyId()).orElseThrow().lastUsedAt())
        .isEqualTo(NOW.plusSeconds(100));
  }

  // ---------------------------------------------------------------- audit

  @Test
  void appendAudit_fromConcurrentTransactions_formsOneUnbrokenChain() throws Exception {
    int appends = 200;
    AtomicInteger counter = new AtomicInteger();

    runConcurrently(
        THREADS,
        () -> {
          int n;
          while ((n = counter.incrementAndGet()) <= appends) {
            int i = n;
            store.inTransaction(
                tx ->
                    tx.appendAudit(
                        entry("test.appended", "key_" + i, i % 2 == 0 ? "owner-a" : "owner-b")));
          }
          return null;
        });

    List<AuditEvent> events = store.auditAfter(0, 500);
    assertThat(events).hasSize(appends);
    assertThat(new AuditVerifier(auditKeys, null).verify(store).problems()).isEmpty();
    assertThat(store.auditHead().seq()).isEqualTo(appends);
    assertThat(events.get(appends - 1).seq()).isEqualTo(appends);
    assertThat(events.stream().map(e -> e.entry().targetId()).distinct()).hasSize(appends);
  }

  @Test
  void appendAudit_returnsEventAsStored() {
    AuditEntry e =
        new AuditEntry(
            NOW,
            "cli:alice",
            "key.revoked",
            "key_abc",
            "owner-a",
            "2001:db8::1",
            Map.of("reason", "leaked — rotated", "b", "2", "a", "1"));

    AuditEvent appended = store.inTransaction(tx -> tx.appendAudit(e));

    assertThat(appended.seq()).isEqualTo(1);
    assertThat(appended.prevHash()).isEqualTo(AuditChain.GENESIS);
    assertThat(appended.keyVersion()).isEqualTo(1);
    assertThat(appended.hash())
        .isEqualTo(AuditChain.keyedHash(auditKeys, 1, 1, AuditChain.GENESIS, e))
        .isNotEqualTo(AuditChain.unkeyedHash(1, AuditChain.GENESIS, e));
    assertThat(store.auditAfter(0, 10)).containsExactly(appended);
    AuditHead head = store.auditHead();
    assertThat(head.seq()).isEqualTo(1);
    assertThat(head.hash()).isEqualTo(appended.hash());
    assertThat(head.keyedFrom()).isEqualTo(1);
    assertThat(AuditChain.headProblem(auditKeys, head)).isNull();
  }

  @Test
  void audit_filtersNewestFirstWithCursor() {
    for (int i = 1; i <= 9; i++) {
      int n = i;
      store.inTransaction(
          tx -> tx.appendAudit(entry("e" + n, "key_" + (n % 3), n % 2 == 0 ? "even" : "odd")));
    }

    assertThat(seqs(store.audit(new AuditQuery(null, null, 4, null))))
        .containsExactly(9L, 8L, 7L, 6L);
    assertThat(seqs(store.audit(new AuditQuery(null, null, 4, 6L))))
        .containsExactly(5L, 4L, 3L, 2L);
    assertThat(seqs(store.audit(new AuditQuery("key_1", null, 10, null))))
        .containsExactly(7L, 4L, 1L);
    assertThat(seqs(store.audit(new AuditQuery(null, "even", 10, null))))
        .containsExactly(8L, 6L, 4L, 2L);
    assertThat(seqs(store.audit(new AuditQuery("key_1", "even", 10, null)))).containsExactly(4L);
    assertThat(seqs(store.audit(new AuditQuery("key_1", "odd", 10, 7L)))).containsExactly(1L);
  }

  @Test
  void auditAfter_returnsOldestFirstUpToLimit() {
    for (int i = 1; i <= 5; i++) {
      int n = i;
      store.inTransaction(tx -> tx.appendAudit(entry("e" + n, null, null)));
    }

    assertThat(seqs(store.auditAfter(0, 3))).containsExactly(1L, 2L, 3L);
    assertThat(seqs(store.auditAfter(3, 10))).containsExactly(4L, 5L);
    assertThat(store.auditAfter(5, 10)).isEmpty();
    List<AuditEvent> tail = store.auditAfter(2, 10);
    assertThat(tail.get(0).prevHash()).isEqualTo(store.auditAfter(1, 1).get(0).hash());
    assertThat(tail.get(1).prevHash()).isEqualTo(tail.get(0).hash());
  }

  @Test
  void sealAuditHead_freshStore_sealsBeforeEventOne_recordsTheKeyCheck_andIsIdempotent() {
    assertThat(store.auditHead()).isEqualTo(AuditHead.EMPTY);
    AuditHead sealed = store.sealAuditHead();
    assertThat(sealed.seq()).isZero();
    assertThat(sealed.keyedFrom()).isEqualTo(1);
    assertThat(AuditChain.headProblem(auditKeys, sealed)).isNull();
    assertThat(store.auditHead()).isEqualTo(sealed);
    assertThat(store.sealAuditHead()).isEqualTo(sealed);
    assertThat(store.secretChecks(AuditKeys.SECRET))
        .containsExactly(Map.entry(1, auditKeys.checkValue(1)));
  }

  @Test
  void recordSecretCheck_firstValueWins_perSecretAndVersion() {
    assertThat(store.secretChecks("pepper")).isEmpty();
    assertThat(store.recordSecretCheck("pepper", 1, "a")).isEqualTo("a");
    assertThat(store.recordSecretCheck("pepper", 1, "b")).isEqualTo("a");
    assertThat(store.recordSecretCheck("pepper", 2, "c")).isEqualTo("c");
    assertThat(store.recordSecretCheck("data_key", 1, "d")).isEqualTo("d");
    assertThat(store.secretChecks("pepper")).containsExactly(Map.entry(1, "a"), Map.entry(2, "c"));
  }

  // ---------------------------------------------------------------- fixtures

  /** A random key id {@code key_…}. */
  protected static String newKeyId() {
    return "key_" + hex(12);
  }

  /** A random 64-hex-digit value shaped like a stored hash (no key behind it). */
  protected static String newHash() {
    return hex(32);
  }

  @Test
  void enqueueEvent_committedWithTheChange_listedNewestFirstWithFilters() {
    Instant t0 = Instant.parse("2026-03-01T00:00:00Z");
    store.inTransaction(
        tx -> {
          tx.enqueueEvent(
              new OutboxEvent(
                  "evt_1", "key.created", "acme", "key_a", t0, Map.of("n", 1, "s", "x")));
          tx.enqueueEvent(
              new OutboxEvent(
                  "evt_2", "key.revoked", "acme", "key_b", t0.plusSeconds(1), Map.of()));
          tx.enqueueEvent(
              new OutboxEvent("evt_3", "key.created", "globex", "key_c", t0.plusSeconds(2), null));
          return null;
        });
    assertThat(store.outbox(null, null, 10))
        .extracting(OutboxEvent::eventId)
        .containsExactly("evt_3", "evt_2", "evt_1");
    assertThat(store.outbox("acme", null, 10))
        .extracting(OutboxEvent::eventId)
        .containsExactly("evt_2", "evt_1");
    assertThat(store.outbox(null, "key_a", 10))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.type()).isEqualTo("key.created");
              assertThat(e.createdAt()).isEqualTo(t0);
              assertThat(e.data()).containsEntry("s", "x").containsEntry("n", 1);
            });
    assertThat(store.outbox(null, null, 1)).hasSize(1);
  }

  @Test
  void enqueueEvent_whenTransactionFails_leavesNoEvent() {
    assertThatThrownBy(
            () ->
                store.inTransaction(
                    tx -> {
                      tx.enqueueEvent(
                          new OutboxEvent(
                              "evt_x", "key.revoked", "acme", "key_a", Instant.EPOCH, Map.of()));
                      throw new IllegalStateException("boom");
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(store.outbox(null, null, 10)).isEmpty();
  }

  // ---------------------------------------------------------------- leak incidents and canaries

  private static LeakIncident incident(
      String id, String dedupe, String keyId, String owner, Instant reportedAt) {
    return new LeakIncident(
        id,
        dedupe,
        keyId,
        owner,
        "live_secret",
        "sk_live_…Ab9z",
        "gitleaks",
        new LeakLocation("https://example.com/r", "app/config.py", 12L, "1b6da43b"),
        reportedAt.minusSeconds(30),
        reportedAt,
        reportedAt.plusMillis(7),
        LeakAction.REVOKED,
        "key_reporter",
        Exposure.EXPOSED,
        true);
  }

  @Test
  void insertIncident_roundTrips_andRepeatDedupeKeyIsNotStoredTwice() {
    var first = incident("inc_1", newHash(), "key_a", "acme", NOW);
    boolean[] stored = new boolean[2];
    store.inTransaction(
        tx -> {
          stored[0] = tx.insertIncident(first);
          stored[1] = tx.insertIncident(incident("inc_2", first.dedupeKey(), "key_a", "acme", NOW));
          tx.enqueueEvent(
              new OutboxEvent("evt_after_repeat", "key.leaked", "acme", "key_a", NOW, null));
          return null;
        });
    assertThat(stored).containsExactly(true, false);
    var page = store.incidents(new IncidentQuery(null, null, 10, null));
    assertThat(page.items()).containsExactly(first);
    assertThat(page.items().get(0).timeToRevocation())
        .isEqualTo(Duration.ofSeconds(30).plusMillis(7));
    // the transaction stayed usable after the repeat
    assertThat(store.outbox(null, "key_a", 10)).hasSize(1);

    var sparse =
        new LeakIncident(
            "inc_3",
            newHash(),
            "key_b",
            null,
            "test_secret",
            null,
            "github",
            null,
            NOW,
            NOW,
            null,
            LeakAction.PREVENTED_RECORDED,
            "github",
            Exposure.PREVENTED,
            false);
    store.inTransaction(tx -> tx.insertIncident(sparse));
    assertThat(store.incidents(new IncidentQuery(null, "key_b", 10, null)).items())
        .containsExactly(sparse);
  }

  @Test
  void insertIncident_rolledBackWithTheTransaction() {
    assertThatThrownBy(
            () ->
                store.inTransaction(
                    tx -> {
                      tx.insertIncident(incident("inc_x", newHash(), "key_a", "acme", NOW));
                      throw new IllegalStateException("boom");
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThat(store.incidents(new IncidentQuery(null, null, 10, null)).items()).isEmpty();
  }

  @Test
  void incidents_filterByOwnerAndKey_pageNewestFirst() {
    List<LeakIncident> all = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      // pairs share a report time so the id tie-break is exercised
      all.add(
          incident(
              "inc_" + (char) ('a' + i),
              newHash(),
              i % 2 == 0 ? "key_even" : "key_odd",
              i < 4 ? "acme" : "globex",
              NOW.plusSeconds(i / 2)));
    }
    store.inTransaction(
        tx -> {
          all.forEach(tx::insertIncident);
          return null;
        });
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      var page = store.incidents(new IncidentQuery(null, null, 3, cursor));
      page.items().forEach(i -> seen.add(i.incidentId()));
      cursor = page.nextCursor();
    } while (cursor != null);
    assertThat(seen)
        .containsExactlyElementsOf(
            all.stream()
                .sorted(
                    Comparator.comparing(LeakIncident::reportedAt)
                        .thenComparing(LeakIncident::incidentId)
                        .reversed())
                .map(LeakIncident::incidentId)
                .toList());
    assertThat(store.incidents(new IncidentQuery("acme", null, 10, null)).items())
        .extracting(LeakIncident::incidentId)
        .containsExactly("inc_d", "inc_c", "inc_b", "inc_a");
    assertThat(store.incidents(new IncidentQuery("globex", "key_even", 10, null)).items())
        .extracting(LeakIncident::incidentId)
        .containsExactly("inc_g", "inc_e");
    assertThatThrownBy(() -> store.incidents(new IncidentQuery(null, null, 3, "%%")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void insertCanary_findAndListByOwner_duplicateIsConflict() {
    var a = new Canary("key_c1", "acme", "wiki", "sk_live_…abcd", NOW, "key_admin");
    var b = new Canary("key_c2", "acme", "repo", null, NOW.plusSeconds(1), "key_admin");
    var c = new Canary("key_c3", "globex", "s3", null, NOW, "key_admin");
    store.inTransaction(
        tx -> {
          tx.insertCanary(a);
          tx.insertCanary(b);
          tx.insertCanary(c);
          return null;
        });
    assertThat(store.findCanary("key_c1")).contains(a);
    assertThat(store.findCanary("key_none")).isEmpty();
    var first = store.canaries("acme", 1, null);
    assertThat(first.items()).containsExactly(b);
    assertThat(store.canaries("acme", 1, first.nextCursor()).items()).containsExactly(a);
    assertThat(store.canaries(null, 10, null).items()).hasSize(3);
    assertThatThrownBy(
            () ->
                store.inTransaction(
                    tx -> {
                      tx.insertCanary(a);
                      return null;
                    }))
        .isInstanceOf(KeygateException.Conflict.class);
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** An active key of type {@code live_secret} with no expiry, created at {@code createdAt}. */
  protected static ApiKeyRecord key(String owner, Instant createdAt) {
    return record(newKeyId(), "live_secret", owner, createdAt, KeyStatus.ACTIVE, null, null);
  }

  private static ApiKeyRecord record(
      String keyId,
      String type,
      String owner,
      Instant createdAt,
      KeyStatus status,
      Instant expiresAt,
      Instant revokesAt) {
    return TestKeys.key(
        keyId,
        createdAt,
        k -> {
          k.type = type;
          k.hint = "kg_…" + keyId.substring(keyId.length() - 4);
          k.hash = newHash();
          k.owner = owner;
          k.status = status;
          k.expiresAt = expiresAt;
          k.revokesAt = revokesAt;
        });
  }

  private static ApiKeyRecord fullRecord() {
    return new ApiKeyRecord(
        newKeyId(),
        "live_secret",
        "kg_live_…Ab9z",
        newHash(),
        2,
        "owner-1",
        new KeySettings(
            "billing — prod",
            List.of("read", "write", "keys:read"),
            List.of("10.0.0.0/8", "2001:db8::/32", "192.0.2.7"),
            List.of(
                new RateLimit("default", 100, Duration.ofMinutes(1)),
                new RateLimit("burst", 10, Duration.ofSeconds(1))),
            Map.of(
                "team",
                "payments",
                "tier",
                3,
                "beta",
                true,
                "tags",
                List.of("a", "b"),
                "nested",
                Map.of("k", "v"))),
        KeyStatus.ACTIVE,
        NOW.minusSeconds(60),
        NOW.minusMillis(1),
        NOW.plus(Duration.ofDays(90)),
        null,
        null,
        NOW.plus(Duration.ofDays(1)),
        "key_previous",
        null,
        NOW.minusSeconds(5),
        7);
  }

  private static ApiKeyRecord withHash(ApiKeyRecord k, String hash) {
    return k.withHash(hash, k.pepperVersion(), k.updatedAt());
  }

  private static ApiKeyRecord scheduled(KeyStatus status, Instant revokesAt) {
    return record(
        newKeyId(),
        "live_secret",
        "owner",
        NOW.minus(Duration.ofDays(10)),
        status,
        null,
        revokesAt);
  }

  /**
   * Keys in every combination of stored status, expiry and scheduled revocation that decides the
   * effective status (including boundaries exactly at {@link #NOW}), for two owners and two types,
   * with pairs sharing a creation time so the key-id tie-break is exercised.
   */
  private static List<ApiKeyRecord> listFixture() {
    Instant past = NOW.minusSeconds(1);
    Instant future = NOW.plus(Duration.ofHours(1));
    Instant longAgo = NOW.minus(Duration.ofHours(3));
    Object[][] variants = {
      {KeyStatus.ACTIVE, null, null},
      {KeyStatus.ACTIVE, future, null},
      {KeyStatus.ACTIVE, past, null},
      {KeyStatus.ACTIVE, NOW, null},
      {KeyStatus.ACTIVE, longAgo, null},
      {KeyStatus.DISABLED, null, null},
      {KeyStatus.DISABLED, past, null},
      {KeyStatus.REVOKED, null, null},
      {KeyStatus.REVOKED, future, future},
      {KeyStatus.ACTIVE, null, past},
      {KeyStatus.ACTIVE, null, NOW},
      {KeyStatus.ACTIVE, null, future},
      {KeyStatus.ACTIVE, null, longAgo},
      {KeyStatus.DISABLED, null, past},
      {KeyStatus.ACTIVE, past, past},
    };
    List<ApiKeyRecord> out = new ArrayList<>();
    int n = 0;
    for (String owner : List.of("owner-a", "owner-b")) {
      for (String type : List.of("live_secret", "test_secret")) {
        for (Object[] v : variants) {
          Instant created = NOW.minus(Duration.ofDays(30)).plusSeconds(n / 2);
          n++;
          out.add(
              record(
                  newKeyId(),
                  type,
                  owner,
                  created,
                  (KeyStatus) v[0],
                  (Instant) v[1],
                  (Instant) v[2]));
        }
      }
    }
    return out;
  }

  private static List<KeyStatus> statusFilters() {
    List<KeyStatus> filters = new ArrayList<>(List.of(KeyStatus.values()));
    filters.add(null);
    return filters;
  }

  private static List<String> expectedIds(
      List<ApiKeyRecord> all, Instant at, KeyStatus status, String owner, String type) {
    return all.stream()
        .filter(k -> status == null || k.effectiveStatus(at) == status)
        .filter(k -> owner == null || owner.equals(k.ownerId()))
        .filter(k -> type == null || type.equals(k.type()))
        .sorted(
            Comparator.comparing(ApiKeyRecord::createdAt)
                .thenComparing(ApiKeyRecord::keyId)
                .reversed())
        .map(ApiKeyRecord::keyId)
        .toList();
  }

  private List<String> pageThrough(KeyQuery first, Instant at) {
    List<String> seen = new ArrayList<>();
    KeyQuery q = first;
    for (int pages = 0; pages < 100; pages++) {
      Page<ApiKeyRecord> page = store.list(q, at);
      assertThat(page.items().size()).isLessThanOrEqualTo(q.limit());
      if (page.nextCursor() != null) {
        assertThat(page.items()).hasSize(q.limit());
      }
      seen.addAll(ids(page.items()));
      if (page.nextCursor() == null) {
        return seen;
      }
      q =
          new KeyQuery(
              q.ownerId(), q.status(), q.type(), q.limit(), page.nextCursor(), q.adminTokens());
    }
    throw new AssertionError("listing did not end after 100 pages");
  }

  private void insertAll(List<ApiKeyRecord> keys) {
    store.inTransaction(
        tx -> {
          keys.forEach(tx::insertKey);
          return null;
        });
  }

  private static AuditEntry entry(String action, String targetId, String ownerId) {
    return new AuditEntry(
        NOW, "system", action, targetId, ownerId, "127.0.0.1", Map.of("n", action));
  }

  private static List<String> ids(List<ApiKeyRecord> keys) {
    return keys.stream().map(ApiKeyRecord::keyId).toList();
  }

  private static List<Long> seqs(List<AuditEvent> events) {
    return events.stream().map(AuditEvent::seq).toList();
  }

  /** Runs {@code work} on {@code threads} threads released together; rethrows the first failure. */
  private static void runConcurrently(int threads, Callable<Void> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Void>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return work.call();
                }));
      }
      start.countDown();
      for (Future<Void> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
