package io.keygate.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.audit.AuditHead;
import io.keygate.server.KeygateServer;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tamper test: someone with write access to the database (not to the data directory's audit
 * key) deletes the newest audit events, deletes one in the middle, or re-chains the log with the
 * public (unkeyed) algorithm. {@code keygate audit verify} exits 1 and names what was done, {@code
 * GET /v1/audit/verify} answers {@code intact: false} with the same findings, changes that would
 * extend a moved head are refused (503), and a restarting node refuses to start.
 */
class AuditTamperTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;
  TestServer t;

  @BeforeEach
  void start() {
    t = servers.start(dir);
    for (int i = 0; i < 4; i++) {
      String id = t.createKey("owner_id", "acme").path("key_id").asText();
      t.post("/v1/keys/" + id + "/revoke", Map.of("reason", "test " + i)).expect(200);
    }
  }

  @AfterEach
  void stop() {
    if (t != null) {
      t.close();
    }
  }

  record Run(int exit, String out, String err) {}

  /** {@code keygate <args> --data-dir <dir>}, in-process. */
  private Run cli(String... args) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--data-dir");
    all.add(dir.toString());
    Method run =
        Class.forName("io.keygate.server.cli.KeygateCli")
            .getDeclaredMethod(
                "run", Map.class, PrintWriter.class, PrintWriter.class, String[].class);
    run.setAccessible(true);
    int code =
        (int)
            run.invoke(
                null,
                Map.of(),
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  private void sql(String statement, Object... args) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keygate.db"));
        PreparedStatement ps = c.prepareStatement(statement)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.executeUpdate();
    }
  }

  private long newest() {
    return t.server.keygate().store().auditHead().seq();
  }

  private List<AuditEvent> events() {
    return t.server.keygate().store().auditAfter(0, 1000);
  }

  /** Both interfaces see the same break: the CLI exits 1 naming it, the API says not intact. */
  private void assertBroken(String... findings) throws Exception {
    Run r = cli("audit", "verify");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.err()).contains("audit chain BROKEN");
    JsonNode api = t.get("/v1/audit/verify").expect(200);
    assertThat(api.path("intact").asBoolean()).isFalse();
    for (String f : findings) {
      assertThat(r.err()).as("CLI names: %s", f).contains(f);
      assertThat(api.path("problems").toString()).as("API names: %s", f).contains(f);
    }
  }

  private void assertChangesRefused(String code) {
    TestServer.Response res = t.post("/v1/keys", Map.of("owner_id", "acme"));
    assertThat(res.status()).as(res.body()).isEqualTo(503);
    assertThat(res.json().path("error").asText()).isEqualTo(code);
  }

  /** Builds directly, not through the extension: the refusal must come from {@code build()}. */
  private void assertNodeRefusesToStart(String message) {
    t.close();
    t = null;
    assertThatThrownBy(() -> KeygateServer.builder().config(TestServer.config(dir)).build())
        .isInstanceOf(KeygateException.AuditIntegrity.class)
        .hasMessageContaining(message);
  }

  @Test
  void intactLog_verifiesOnBothInterfaces_andListsKeyedEvents() throws Exception {
    Run r = cli("audit", "verify");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("audit chain intact: " + newest() + " events verified");
    JsonNode api = t.get("/v1/audit/verify").expect(200);
    assertThat(api.path("intact").asBoolean()).isTrue();
    assertThat(api.path("events").asLong()).isEqualTo(newest());
    assertThat(api.path("head").path("sealed").asBoolean()).isTrue();
    assertThat(api.path("head").path("keyed_from").asLong()).isEqualTo(1);
    JsonNode listed = t.get("/v1/audit?limit=3").expect(200).path("data");
    assertThat(listed).hasSize(3);
    listed.forEach(e -> assertThat(e.path("key_version").asInt()).isEqualTo(1));
    String owned = t.token("acme", List.of("audit:read"));
    assertThat(t.req("GET", "/v1/audit/verify").token(owned).send().status()).isEqualTo(403);
  }

  @Test
  void newestEventsDeleted_headUntouched_headMovedBack_orOldHeadRestored_areEachNamed()
      throws Exception {
    long n = newest();
    AuditHead old = t.server.keygate().store().auditHead();
    t.createKey("owner_id", "acme");
    t.createKey("owner_id", "acme");
    long m = newest();

    // 1. Delete the newest events only.
    sql("DELETE FROM audit_log WHERE seq > ?", n);
    assertBroken(
        "ends at event " + n, "events " + (n + 1) + ".." + m + " were deleted from the end");

    // 2. ...and move the head back over them (the head's seal no longer verifies).
    AuditEvent last = events().get(events().size() - 1);
    sql("UPDATE audit_head SET last_seq = ?, last_hash = ? WHERE id = 1", last.seq(), last.hash());
    assertBroken(
        "audit head (event " + n + ") does not verify", "were deleted and the head moved back");
    assertChangesRefused("audit_head_invalid");

    // 3. ...or put back the whole head row as it was at event n (its seal verifies): the data
    // directory's witness still knows about event m.
    sql(
        "UPDATE audit_head SET last_seq = ?, last_hash = ?, keyed_from = ?, key_version = ?,"
            + " mac = ? WHERE id = 1",
        old.seq(),
        old.hash(),
        old.keyedFrom(),
        old.keyVersion(),
        old.mac());
    assertBroken("the audit log ends at event " + n + " but this node's audit witness");
    assertChangesRefused("audit_witness_mismatch");
    assertNodeRefusesToStart("events " + (n + 1) + ".." + m + " were deleted");
  }

  @Test
  void eventDeletedFromTheMiddle_isNamed_andStaysNamedWhileTheNodeGoesOn() throws Exception {
    sql("DELETE FROM audit_log WHERE seq = 3");
    assertBroken("event 3 is missing (deleted from the middle of the log)");
    t.createKey("owner_id", "acme"); // the head is intact: the node goes on, the gap stays
    assertBroken("event 3 is missing");
    sql("DELETE FROM audit_log WHERE seq IN (5, 6)");
    assertBroken("event 3 is missing", "events 5..6 are missing");
  }

  @Test
  void rechainedWithTheUnkeyedAlgorithm_isNamed_inEveryVariant_andTheNodeRefusesToStart()
      throws Exception {
    // Rewrite event 2's actor and re-chain the whole log with the public SHA-256.
    List<AuditEvent> all = events();
    String prev = AuditChain.GENESIS;
    for (AuditEvent e : all) {
      AuditEntry x = e.entry();
      AuditEntry y =
          e.seq() == 2
              ? new AuditEntry(
                  x.at(),
                  "mallory",
                  x.action(),
                  x.targetId(),
                  x.ownerId(),
                  x.sourceIp(),
                  x.details())
              : x;
      String h = AuditChain.unkeyedHash(e.seq(), prev, y);
      sql(
          "UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
          y.actor(),
          prev,
          h,
          e.seq());
      prev = h;
    }
    sql("UPDATE audit_head SET last_hash = ? WHERE id = 1", prev);
    assertBroken("event 2: its content or link does not match its keyed hash", "does not verify");
    assertChangesRefused("audit_head_invalid");

    sql("UPDATE audit_log SET key_version = 0");
    assertBroken("event 1 carries a public, unkeyed hash although the chain is keyed from event 1");

    sql("UPDATE audit_head SET keyed_from = ? WHERE id = 1", all.size() + 1);
    assertBroken("does not verify", "the switch-over point was moved");

    sql("UPDATE audit_head SET keyed_from = 0, key_version = 0, mac = NULL WHERE id = 1");
    assertBroken("the audit head is not sealed although an audit key was already used");
    assertChangesRefused("audit_head_unsealed");

    sql("DELETE FROM secret_checks WHERE secret = 'audit_key'");
    assertBroken("records the chain keyed from event 1, the database not keyed at all");
    assertChangesRefused("audit_witness_mismatch");
    assertNodeRefusesToStart("the switch-over point was moved");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keygate.db"));
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT keyed_from FROM audit_head")) {
      rs.next();
      assertThat(rs.getLong(1)).as("the refused node sealed nothing").isZero();
    }
  }

  @Test
  void reseal_afterAHeadMovedBack_recordsWhatWasFound_andTheNodeStartsAgain() throws Exception {
    long n = newest();
    t.createKey("owner_id", "acme");
    long m = newest();
    sql("DELETE FROM audit_log WHERE seq > ?", n);
    AuditEvent last = events().get(events().size() - 1);
    sql("UPDATE audit_head SET last_seq = ?, last_hash = ? WHERE id = 1", last.seq(), last.hash());
    t.close();
    t = null;

    Run reseal = cli("audit", "reseal", "--reason", "INC-42 restored after investigation");
    assertThat(reseal.exit()).as(reseal.err()).isZero();
    assertThat(reseal.err()).contains("were deleted and the head moved back");
    assertThat(reseal.out()).contains("audit head resealed at event " + (n + 1));
    Run verify = cli("audit", "verify");
    assertThat(verify.exit()).as(verify.err()).isZero();

    t = servers.start(dir);
    JsonNode ev = t.get("/v1/audit?limit=10").expect(200).path("data");
    JsonNode resealed = null;
    for (JsonNode e : ev) {
      if (e.path("action").asText().equals("audit.resealed")) {
        resealed = e;
      }
    }
    assertThat(resealed).isNotNull();
    assertThat(resealed.path("details").path("found_head_seq").asLong()).isEqualTo(n);
    assertThat(resealed.path("details").path("log_end_seq").asLong()).isEqualTo(n);
    assertThat(resealed.path("details").path("reason").asText()).contains("INC-42");
    assertThat(m).isGreaterThan(n);
    t.createKey("owner_id", "acme");
    assertThat(t.get("/v1/audit/verify").expect(200).path("intact").asBoolean()).isTrue();
  }
}
