package io.keygate.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.KeygateException;
import io.keygate.core.SecretChecks;
import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.core.audit.AuditKeys;
import io.keygate.core.audit.AuditVerifier;
import io.keygate.core.audit.AuditWitness;
import io.keygate.core.store.KeyStore;
import io.keygate.core.testing.TestAuditKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The keyed audit chain against someone who can write the database but does not hold the audit key:
 * every tampering is named by the verifier, and a head moved back is never extended. Runs on SQLite
 * and PostgreSQL, tampering with plain SQL as such an attacker would.
 */
class AuditIntegrityTest {
  @TempDir Path tmp;

  private final AuditKeys keys = TestAuditKeys.random();
  private final List<AutoCloseable> open = new ArrayList<>();
  private String schema;
  private String rawUrl;

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (schema != null) {
      TestPostgres.get().dropSchema(schema);
    }
  }

  /** A store on {@code db} ("sqlite" or "postgres"), with this test's keys and a witness. */
  private KeyStore store(String db, AuditKeys k, AuditWitness w) {
    JdbcStores b;
    if (db.equals("sqlite")) {
      b = JdbcStores.sqlite(tmp.resolve("data"));
      rawUrl = "jdbc:sqlite:" + tmp.resolve("data").resolve(JdbcStores.SQLITE_FILE_NAME);
    } else {
      TestPostgres pg = TestPostgres.get();
      if (schema == null) {
        schema = pg.newSchema();
      }
      b = pg.builder(schema);
      String base = pg.jdbcUrl();
      rawUrl = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
    b.auditKeys(k);
    if (w != null) {
      b.auditWitness(w);
    }
    KeyStore s = b.build();
    open.add(s);
    return s;
  }

  private AuditWitness witness(String name) {
    return new AuditWitness(tmp.resolve(name).resolve("audit-head"));
  }

  private static AuditEntry entry(int i) {
    return new AuditEntry(
        Instant.ofEpochMilli(1_767_225_600_000L + i),
        "key_admin",
        "key.updated",
        "key_" + i,
        "acme",
        null,
        Map.of("n", Integer.toString(i)));
  }

  private static void append(KeyStore s, int from, int to) {
    for (int i = from; i <= to; i++) {
      int n = i;
      s.inTransaction(tx -> tx.appendAudit(entry(n)));
    }
  }

  private int sql(String statement, Object... args) throws SQLException {
    try (Connection c = DriverManager.getConnection(rawUrl);
        PreparedStatement ps = c.prepareStatement(statement)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      return ps.executeUpdate();
    }
  }

  private List<String> problems(KeyStore s, AuditWitness w) {
    return new AuditVerifier(keys, w).verify(s).problems();
  }

  private static void assertAppendRefused(KeyStore s, String code) {
    assertThatThrownBy(() -> s.inTransaction(tx -> tx.appendAudit(entry(99))))
        .isInstanceOf(KeygateException.AuditIntegrity.class)
        .extracting(e -> ((KeygateException) e).code())
        .isEqualTo(code);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void newestEventsDeleted_headMovedBackWithItsOldMac_isNamed_andNeverExtended(String db)
      throws Exception {
    AuditWitness w = witness("node");
    KeyStore s = store(db, keys, w);
    append(s, 1, 8);
    assertThat(problems(s, w)).isEmpty();
    AuditEvent e6 = s.auditAfter(5, 1).get(0);

    sql("DELETE FROM audit_log WHERE seq > 6");
    assertThat(problems(s, null))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("ends at event 6")
        .contains("events 7..8 were deleted from the end");
    sql("UPDATE audit_head SET last_seq = 6, last_hash = ? WHERE id = 1", e6.hash());
    assertThat(problems(s, null))
        .anySatisfy(p -> assertThat(p).contains("audit head (event 6) does not verify"));
    assertThat(problems(s, w))
        .anySatisfy(
            p -> assertThat(p).contains("events 7..8 were deleted and the head moved back"));
    assertAppendRefused(s, "audit_head_invalid");
    assertAppendRefused(store(db, keys, null), "audit_head_invalid");
    assertThat(s.auditHead().seq()).isEqualTo(6);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void headRolledBackToAnOlderValidSeal_isCaughtByTheWitness_beforeAndAfterNewAppends(String db)
      throws Exception {
    AuditWitness w = witness("node");
    KeyStore s = store(db, keys, w);
    append(s, 1, 4);
    AuditHead old = s.auditHead(); // an attacker with read access keeps this row
    append(s, 5, 7);

    sql("DELETE FROM audit_log WHERE seq > 4");
    sql(
        "UPDATE audit_head SET last_seq = ?, last_hash = ?, keyed_from = ?, key_version = ?,"
            + " mac = ? WHERE id = 1",
        old.seq(),
        old.hash(),
        old.keyedFrom(),
        old.keyVersion(),
        old.mac());

    assertThat(problems(s, null)).as("without the witness the rollback is invisible").isEmpty();
    assertThat(problems(s, w))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("ends at event 4")
        .contains("events 5..7 were deleted and the head moved back");
    assertAppendRefused(s, "audit_witness_mismatch");

    // A node without that witness extends the rolled-back chain; the witness still tells.
    append(store(db, keys, null), 105, 108);
    assertThat(problems(s, w))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("event 7 differs from what this node's audit witness")
        .contains("rewritten");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void eventDeletedFromTheMiddle_isNamed_andStaysNamedAfterLaterAppends(String db)
      throws Exception {
    KeyStore s = store(db, keys, null);
    append(s, 1, 6);
    sql("DELETE FROM audit_log WHERE seq = 3");
    assertThat(problems(s, null))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("event 3 is missing (deleted from the middle of the log)");
    append(s, 7, 8);
    assertThat(problems(s, null))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("event 3 is missing");

    // Hiding the gap by renumbering breaks every renumbered event's keyed hash.
    sql("DELETE FROM audit_log WHERE seq = 5");
    for (int seq = 6; seq <= 8; seq++) {
      sql("UPDATE audit_log SET seq = ? WHERE seq = ?", seq - 1, seq);
    }
    assertThat(problems(s, null))
        .anySatisfy(p -> assertThat(p).contains("event 5: its link to event 4 does not match"))
        .anySatisfy(p -> assertThat(p).contains("does not match its keyed hash"))
        .anySatisfy(p -> assertThat(p).contains("deleted from the end"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void rechainedWithThePublicAlgorithm_isNamed_inEveryVariant(String db) throws Exception {
    AuditWitness w = witness("node");
    KeyStore s = store(db, keys, w);
    append(s, 1, 5);
    List<AuditEvent> events = s.auditAfter(0, 10);

    // Alter event 2 and re-chain the log with the public SHA-256, as the old, unkeyed chain did.
    String prev = AuditChain.GENESIS;
    for (AuditEvent e : events) {
      AuditEntry x = e.entry();
      AuditEntry altered =
          e.seq() == 2
              ? new AuditEntry(
                  x.at(), "mallory", x.action(), x.targetId(), x.ownerId(), null, x.details())
              : x;
      String h = AuditChain.unkeyedHash(e.seq(), prev, altered);
      sql(
          "UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
          altered.actor(),
          prev,
          h,
          e.seq());
      prev = h;
    }
    sql("UPDATE audit_head SET last_hash = ? WHERE id = 1", prev);
    List<String> keptVersions = problems(s, null);
    assertThat(keptVersions)
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("event 2: its content or link does not match its keyed hash"))
        .anySatisfy(p -> assertThat(p).contains("audit head (event 5) does not verify"));

    // ...then also claim the events were never keyed: move the switch-over point past them.
    sql("UPDATE audit_log SET key_version = 0");
    assertThat(problems(s, null))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "event 1 carries a public, unkeyed hash although the chain is keyed from event 1"));
    sql("UPDATE audit_head SET keyed_from = 6 WHERE id = 1");
    assertThat(problems(s, null)).anySatisfy(p -> assertThat(p).contains("does not verify"));
    assertAppendRefused(s, "audit_head_invalid");

    // ...or unseal the head altogether: the recorded audit key check contradicts it.
    sql("UPDATE audit_head SET keyed_from = 0, key_version = 0, mac = NULL WHERE id = 1");
    assertThat(problems(s, null))
        .singleElement(InstanceOfAssertFactories.STRING)
        .contains("the audit head is not sealed although an audit key was already used");
    assertThatThrownBy(s::sealAuditHead)
        .isInstanceOf(KeygateException.AuditIntegrity.class)
        .extracting(e -> ((KeygateException) e).code())
        .isEqualTo("audit_head_unsealed");
    assertAppendRefused(store(db, keys, null), "audit_head_unsealed");

    // ...and delete that record too: only the witness outside the database still knows.
    sql("DELETE FROM secret_checks");
    assertThat(problems(s, null)).isEmpty();
    assertThat(problems(s, w))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "records the chain keyed from event 1, the database not keyed at all"))
        .anySatisfy(
            p -> assertThat(p).contains("event 5 differs from what this node's audit witness"));
    assertAppendRefused(s, "audit_witness_mismatch");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void upgradedDatabase_unkeyedEventsVerify_switchOverIsFixed_andTheirAlterationIsCaught(String db)
      throws Exception {
    // A log written before the audit key existed: unkeyed events, an unsealed head.
    KeyStore reader = store(db, keys, null);
    String prev = AuditChain.GENESIS;
    for (int i = 1; i <= 3; i++) {
      AuditEntry e = entry(i);
      String h = AuditChain.unkeyedHash(i, prev, e);
      sql(
          "INSERT INTO audit_log (seq, at, actor, action, target_id, owner_id, source_ip,"
              + " details, prev_hash, hash, key_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
          (long) i,
          e.at().toEpochMilli(),
          e.actor(),
          e.action(),
          e.targetId(),
          e.ownerId(),
          null,
          "{\"n\":\"" + i + "\"}",
          prev,
          h);
      prev = h;
    }
    sql("UPDATE audit_head SET last_seq = 3, last_hash = ? WHERE id = 1", prev);
    AuditVerifier.Report before = new AuditVerifier(keys, null).verify(reader);
    assertThat(before.problems()).isEmpty();
    assertThat(before.notes()).anySatisfy(n -> assertThat(n).contains("not sealed yet"));

    AuditHead sealed = reader.sealAuditHead();
    assertThat(sealed.keyedFrom()).isEqualTo(4);
    append(reader, 4, 5);
    AuditVerifier.Report after = new AuditVerifier(keys, null).verify(reader);
    assertThat(after.problems()).isEmpty();
    assertThat(after.notes())
        .anySatisfy(n -> assertThat(n).contains("events 1..3 were written before the audit key"));
    assertThat(reader.auditAfter(3, 10)).allSatisfy(e -> assertThat(e.keyVersion()).isEqualTo(1));

    sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2");
    assertThat(problems(reader, null))
        .singleElement(InstanceOfAssertFactories.STRING)
        .isEqualTo("event 2: its content does not match its hash (altered)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void reseal_neverMovesTheSwitchOverPointUp_soDowngradedEventsStayNamed(String db)
      throws Exception {
    AuditWitness w = witness("node");
    KeyStore s = store(db, keys, w);
    append(s, 1, 5);
    String prev = AuditChain.GENESIS;
    for (AuditEvent e : s.auditAfter(0, 10)) {
      String h = AuditChain.unkeyedHash(e.seq(), prev, e.entry());
      sql(
          "UPDATE audit_log SET prev_hash = ?, hash = ?, key_version = 0 WHERE seq = ?",
          prev,
          h,
          e.seq());
      prev = h;
    }
    sql("UPDATE audit_head SET last_hash = ?, keyed_from = 6 WHERE id = 1", prev);

    AuditHead resealed =
        s.resealAuditHead(
            new AuditEntry(
                Instant.now(),
                "cli:op",
                "audit.resealed",
                null,
                null,
                null,
                Map.of("reason", "test")));
    assertThat(resealed.seq()).isEqualTo(6);
    assertThat(resealed.keyedFrom())
        .as("the witness's switch-over point, not the moved one")
        .isEqualTo(1);
    assertThat(problems(s, w))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "event 1 carries a public, unkeyed hash although the chain is keyed from event 1"))
        .noneSatisfy(p -> assertThat(p).contains("event 6"))
        .noneSatisfy(p -> assertThat(p).contains("head"));
    AuditEvent note = s.auditAfter(5, 1).get(0);
    assertThat(note.entry().details())
        .containsEntry("found_keyed_from", "6")
        .containsEntry("found_head_seq", "5")
        .containsEntry("keyed_from", "1");
    append(s, 7, 7); // the node goes on from the resealed head
    assertThat(s.auditHead().seq()).isEqualTo(7);
  }

  @Test
  void twoNodesOnOnePostgres_appendConcurrently_intoOneChain_andAWrongKeyIsRefused()
      throws Exception {
    KeyStore a = store("postgres", keys, witness("node-a"));
    KeyStore b = store("postgres", keys, witness("node-b"));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        KeyStore s = t % 2 == 0 ? a : b;
        int base = t * 1000;
        done.add(pool.submit(() -> append(s, base + 1, base + 40)));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(problems(a, witness("node-a"))).isEmpty();
    assertThat(problems(b, witness("node-b"))).isEmpty();
    assertThat(a.auditHead().seq()).isEqualTo(160);
    assertThat(witness("node-a").read().orElseThrow().seq()).isLessThanOrEqualTo(160);

    AuditKeys other = TestAuditKeys.random();
    KeyStore wrong = store("postgres", other, null);
    assertAppendRefused(wrong, "audit_head_invalid");
    assertThatThrownBy(
            () -> SecretChecks.require(wrong, SecretChecks.auditKey(other), "test", "fix it"))
        .isInstanceOf(KeygateException.SecretMismatch.class)
        .hasMessageContaining(
            "audit key v1 of this node (test) is not the audit key v1 this"
                + " database was written with");
    assertThat(a.auditHead().seq()).isEqualTo(160);
  }

  @Test
  void witness_onlyMovesForward_andIsOwnerOnly() throws Exception {
    AuditWitness w = witness("node");
    KeyStore s = store("sqlite", keys, w);
    append(s, 1, 3);
    assertThat(w.read().orElseThrow().seq()).isEqualTo(3);
    assertThat(Files.getPosixFilePermissions(w.file()))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    w.advance(new AuditHead(2, "ab".repeat(32), 1, 1, "x"));
    assertThat(w.read().orElseThrow().seq()).isEqualTo(3);
    Files.writeString(w.file(), "garbage\n");
    assertAppendRefused(s, "audit_witness_unreadable");
    try (Connection c = DriverManager.getConnection(rawUrl);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM audit_log")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(3);
    }
  }
}
