package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.Keygate;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.key.Pepper;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.lifecycle.ImportKey;
import io.keygate.core.lifecycle.KeyImporter;
import io.keygate.core.lifecycle.KeyPatch;
import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.TestAuditKeys;
import io.keygate.core.verify.LegacyKeys;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.VerifyRequest;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes (two cores, each on its own store instance) sharing one database, with no other path
 * between them than the change feed: a change on A reaches B's cache after one {@link
 * ChangeFeed.Follower#poll}.
 */
class ChangeFeedTest {
  private static final Pepper PEPPER = new Pepper(1, new byte[32]);
  private final AuditKeys auditKeys = TestAuditKeys.random();
  private final List<AutoCloseable> open = new ArrayList<>();
  @TempDir Path dir;

  @AfterEach
  void close() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private KeyStore sqlite() {
    KeyStore s = JdbcStores.sqlite(dir).auditKeys(auditKeys).build();
    open.add(s);
    return s;
  }

  /** A fresh schema; both nodes open their own store on it. */
  private String postgresSchema() {
    TestPostgres pg = TestPostgres.get();
    String schema = pg.newSchema();
    open.add(() -> pg.dropSchema(schema));
    return schema;
  }

  private KeyStore postgres(String schema) {
    KeyStore s = TestPostgres.get().builder(schema).auditKeys(auditKeys).build();
    open.add(s);
    return s;
  }

  private Keygate node(KeyStore s) {
    return Keygate.builder().store(s).pepper(PEPPER).audit(auditKeys, null).build();
  }

  private static CreatedKey key(Keygate kg) {
    return kg.keys()
        .create(
            new CreateKey(
                null, "owner_1", "t", List.of("read"), List.of(), List.of(), 30, Map.of()),
            Actor.SYSTEM);
  }

  private static Outcome verify(Keygate kg, CreatedKey k) {
    return kg.verifier().verify(VerifyRequest.of(k.secret().reveal())).outcome();
  }

  private void everyChangeReachesTheOtherNode(KeyStore storeA, KeyStore storeB) {
    Keygate a = node(storeA);
    Keygate b = node(storeB);
    ChangeFeed.Follower followerB = ChangeFeed.of(storeB).orElseThrow().follow(b.verifier());
    ChangeFeed.Follower followerA = ChangeFeed.of(storeA).orElseThrow().follow(a.verifier());

    CreatedKey revoked = key(a);
    CreatedKey disabled = key(a);
    CreatedKey narrowed = key(a);
    for (CreatedKey k : List.of(revoked, disabled, narrowed)) {
      assertThat(verify(b, k)).isEqualTo(Outcome.VALID); // cached on B
    }
    a.keys().revoke(revoked.record().keyId(), "t", Actor.SYSTEM);
    a.keys().disable(disabled.record().keyId(), Actor.SYSTEM);
    a.keys()
        .update(
            narrowed.record().keyId(),
            new KeyPatch(null, null, List.of("203.0.113.7"), null, null, null, null),
            Actor.SYSTEM);
    assertThat(verify(b, revoked)).as("B still serves its cached copy").isEqualTo(Outcome.VALID);

    assertThat(followerB.poll()).isEqualTo(3);
    assertThat(verify(b, revoked)).isEqualTo(Outcome.KEY_REVOKED);
    assertThat(verify(b, disabled)).isEqualTo(Outcome.KEY_DISABLED);
    assertThat(verify(b, narrowed)).as("new allowlist applies").isEqualTo(Outcome.IP_NOT_ALLOWED);
    assertThat(followerB.poll()).as("each row once").isZero();
    assertThat(followerA.poll()).as("A skips its own rows: it dropped them already").isZero();
    assertThat(followerA.position()).isEqualTo(followerB.position());
    assertThat(followerB.cacheDrops()).isZero();
  }

  @Test
  void sqlite_revokeDisableAndSettingsChange_reachTheOtherNodeOnItsNextPoll() {
    KeyStore s = sqlite();
    everyChangeReachesTheOtherNode(s, JdbcStores.sqlite(dir).auditKeys(auditKeys).build());
  }

  @Test
  void postgres_revokeDisableAndSettingsChange_reachTheOtherNodeOnItsNextPoll() {
    String schema = postgresSchema();
    everyChangeReachesTheOtherNode(postgres(schema), postgres(schema));
  }

  @Test
  void postgres_followerThatMissedPrunedRows_dropsItsWholeCache() {
    String schema = postgresSchema();
    KeyStore storeA = postgres(schema);
    KeyStore storeB = postgres(schema);
    Keygate a = node(storeA);
    Keygate b = node(storeB);
    ChangeFeed feedA = ChangeFeed.of(storeA).orElseThrow();
    ChangeFeed.Follower followerB = ChangeFeed.of(storeB).orElseThrow().follow(b.verifier());
    CreatedKey k = key(a);
    CreatedKey untouched = key(a);
    assertThat(verify(b, k)).isEqualTo(Outcome.VALID);
    assertThat(verify(b, untouched)).isEqualTo(Outcome.VALID);
    assertThat(b.verifier().cachedKeys()).isEqualTo(2);
    a.keys().revoke(k.record().keyId(), "t", Actor.SYSTEM);
    assertThat(feedA.prune(Instant.now().plus(Duration.ofMinutes(1)))).isEqualTo(1);

    followerB.poll();

    assertThat(followerB.cacheDrops()).isEqualTo(1);
    assertThat(b.verifier().cachedKeys()).as("the whole cache, not only the change").isZero();
    assertThat(verify(b, k)).isEqualTo(Outcome.KEY_REVOKED);
    assertThat(followerB.position()).isEqualTo(feedA.head());
  }

  @Test
  void postgres_headMovedBack_dropsTheCache() throws Exception {
    String schema = postgresSchema();
    KeyStore storeA = postgres(schema);
    Keygate a = node(storeA);
    KeyStore storeB = postgres(schema);
    Keygate b = node(storeB);
    ChangeFeed.Follower followerB = ChangeFeed.of(storeB).orElseThrow().follow(b.verifier());
    a.keys().revoke(key(a).record().keyId(), "t", Actor.SYSTEM);
    followerB.poll();
    try (Connection c = DriverManager.getConnection(TestPostgres.get().jdbcUrl());
        Statement st = c.createStatement()) {
      st.execute("UPDATE " + schema + ".key_changes_head SET last_seq = 0"); // a restored backup
    }
    followerB.poll();
    assertThat(followerB.cacheDrops()).isEqualTo(1);
    assertThat(followerB.position()).isZero();
  }

  @Test
  void postgres_concurrentChangesFromTwoNodes_getDenseNumbersAndAllArrive() throws Exception {
    String schema = postgresSchema();
    Keygate a = node(postgres(schema));
    Keygate c = node(postgres(schema));
    KeyStore storeB = postgres(schema);
    Keygate b = node(storeB);
    ChangeFeed feed = ChangeFeed.of(storeB).orElseThrow();
    ChangeFeed.Follower followerB = feed.follow(b.verifier());
    List<CreatedKey> keys = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      CreatedKey k = key(i % 2 == 0 ? a : c);
      keys.add(k);
      assertThat(verify(b, k)).isEqualTo(Outcome.VALID);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        Keygate writer = i % 2 == 0 ? a : c;
        String id = keys.get(i).record().keyId();
        fs.add(pool.submit(() -> writer.keys().revoke(id, "t", Actor.SYSTEM)));
        if (i % 10 == 0) {
          fs.add(pool.submit(followerB::poll)); // polls racing with the commits
        }
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    followerB.poll();
    assertThat(feed.head()).isEqualTo(40);
    assertThat(feed.between(0, 40)).extracting(ChangeFeed.Change::seq).hasSize(40);
    assertThat(followerB.cacheDrops()).as("no gaps in the numbering").isZero();
    for (CreatedKey k : keys) {
      assertThat(verify(b, k)).isEqualTo(Outcome.KEY_REVOKED);
    }
  }

  @Test
  void postgres_listeningWaiter_wakesWhenAnotherNodeCommitsAChange_notAtItsMaximum()
      throws Exception {
    String schema = postgresSchema();
    Keygate a = node(postgres(schema));
    KeyStore storeB = postgres(schema);
    CreatedKey k = key(a);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (ChangeFeed.Waiter waiter = ChangeFeed.of(storeB).orElseThrow().waiter(true)) {
      waiter.await(Duration.ofMillis(1)); // opens the LISTEN connection
      assertThat(waiter.listening()).isTrue();
      Future<?> woken =
          pool.submit(
              () -> {
                waiter.await(Duration.ofHours(1));
                return null;
              });
      a.keys().revoke(k.record().keyId(), "t", Actor.SYSTEM);
      woken.get(60, TimeUnit.SECONDS); // an hour otherwise
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void waiterWithoutListen_orOnSqlite_holdsNoConnection() throws Exception {
    try (ChangeFeed.Waiter w = ChangeFeed.of(sqlite()).orElseThrow().waiter(true)) {
      w.await(Duration.ofMillis(1));
      assertThat(w.listening()).isFalse();
    }
    try (ChangeFeed.Waiter w =
        ChangeFeed.of(postgres(postgresSchema())).orElseThrow().waiter(false)) {
      w.await(Duration.ofMillis(1));
      assertThat(w.listening()).isFalse();
    }
  }

  @Test
  void postgres_rowsThisVersionCannotApply_dropTheWholeCache_andTheFollowerCarriesOn()
      throws Exception {
    String schema = postgresSchema();
    KeyStore storeB = postgres(schema);
    Keygate a = node(postgres(schema));
    Keygate b = node(storeB);
    ChangeFeed.Follower followerB = ChangeFeed.of(storeB).orElseThrow().follow(b.verifier());
    CreatedKey k = key(a);
    for (String row :
        new String[] {
          "(1, 'changed', NULL, NULL, 0, 'x')", "(2, 'revoked', NULL, NULL, 0, 'x')",
        }) {
      assertThat(verify(b, k)).isEqualTo(Outcome.VALID);
      try (Connection c = DriverManager.getConnection(TestPostgres.get().jdbcUrl());
          Statement st = c.createStatement()) {
        st.execute(
            "INSERT INTO "
                + schema
                + ".key_changes (seq, kind, key_hash, revoked_at, at, origin) VALUES "
                + row);
        st.execute("UPDATE " + schema + ".key_changes_head SET last_seq = last_seq + 1");
      }
      followerB.poll();
      assertThat(b.verifier().cachedKeys()).as(row).isZero();
    }
    assertThat(followerB.cacheDrops()).isEqualTo(2);
    assertThat(verify(b, k)).isEqualTo(Outcome.VALID); // cached again
    a.keys().revoke(k.record().keyId(), "t", Actor.SYSTEM);
    assertThat(followerB.poll()).as("rows after them are applied").isEqualTo(1);
    assertThat(verify(b, k)).isEqualTo(Outcome.KEY_REVOKED);
  }

  @Test
  void sqlite_importOnNodeA_nodeBAcceptsTheImportedKeyAfterItsNextPoll() {
    KeyStore storeA = sqlite();
    KeyStore storeB = JdbcStores.sqlite(dir).auditKeys(auditKeys).build();
    open.add(storeB);
    Keygate a = node(storeA);
    Keygate b = node(storeB);
    ChangeFeed.Follower followerB = ChangeFeed.of(storeB).orElseThrow().follow(b.verifier());
    String raw = "legacy_" + UUID.randomUUID().toString().replace("-", "");
    assertThat(b.verifier().verify(VerifyRequest.of(raw)).outcome()).isEqualTo(Outcome.INVALID_KEY);
    new KeyImporter(storeA, a.format(), a.hasher(), a.keys().policy(), a.clock(), SecureRandom::new)
        .importKey(
            new ImportKey(
                LegacyKeys.sha256Hex(raw),
                "legacy_",
                null,
                "owner_1",
                "imported",
                List.of("read"),
                List.of(),
                List.of(),
                null,
                30,
                Map.of()),
            Actor.SYSTEM);
    assertThat(b.verifier().verify(VerifyRequest.of(raw)).outcome())
        .as("B does not know the prefix yet")
        .isEqualTo(Outcome.INVALID_KEY);

    assertThat(followerB.poll()).isEqualTo(1);

    assertThat(b.verifier().verify(VerifyRequest.of(raw)).outcome()).isEqualTo(Outcome.VALID);
  }
}
