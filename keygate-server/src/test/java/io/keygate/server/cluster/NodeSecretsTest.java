package io.keygate.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.keygate.core.KeygateException;
import io.keygate.core.SecretChecks;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.lifecycle.CreateKey;
import io.keygate.core.lifecycle.CreatedKey;
import io.keygate.core.verify.VerifyRequest;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.DataKeyFile;
import io.keygate.server.config.PepperFile;
import io.keygate.server.config.SecretsConfig;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue 17 item 14: every node on one PostgreSQL must hold the same pepper, data key and audit key.
 * A node that does not is refused at startup with a message naming the secret, where the node took
 * it from and what to do — never an {@code invalid_key} or a 500 later. A rotated file that
 * conflicts with what another node already uses is not reloaded.
 */
class NodeSecretsTest {
  private Cluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = Cluster.onTestPostgres();
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  /**
   * A node started from {@code env}, reloading its secret files every 100 ms; a refused node throws
   * (the check runs when the server is built, before it listens).
   */
  private KeygateServer node(Map<String, String> env) {
    return cluster.startInProcess(
            env,
            b -> b.secrets(SecretsConfig.fromEnv(env).withReloadInterval(Duration.ofMillis(100))))
        .server;
  }

  /** The shared environment of node {@code n}, with {@code changes} (a null value removes). */
  private Map<String, String> env(int n, Map<String, String> changes) {
    Map<String, String> env = new HashMap<>(cluster.env(null, null, Map.of()));
    env.put("KEYGATE_DATA_DIR", cluster.dir.resolve("node-" + n).toString());
    // owners with email channels need a mail server configured (none listens: nothing is sent)
    env.put("KEYGATE_SMTP_HOST", "127.0.0.1");
    changes.forEach(
        (k, v) -> {
          if (v == null) {
            env.remove(k);
          } else {
            env.put(k, v);
          }
        });
    return env;
  }

  private static Map<String, String> with(String k, String v) {
    Map<String, String> m = new HashMap<>();
    m.put(k, v);
    return m;
  }

  private static Map<String, String> pepperFile(Path file) {
    Map<String, String> m = with("KEYGATE_PEPPER", null);
    m.put("KEYGATE_PEPPER_FILE", file.toString());
    return m;
  }

  private static CreatedKey key(KeygateServer s) {
    return s.keygate()
        .keys()
        .create(
            new CreateKey(null, "acme", "k", null, null, null, null, null, null),
            new Actor("test", null, null));
  }

  private static boolean valid(KeygateServer s, CreatedKey k) {
    return s.keygate().verifier().verify(VerifyRequest.of(k.secret().reveal())).valid();
  }

  @Test
  void nodesSharingAllThreeSecrets_startAndServeEachOthersKeysOwnersAndAudit() throws Exception {
    KeygateServer a = node(env(1, Map.of()));
    KeygateServer b = node(env(2, Map.of()));
    CreatedKey k = key(a);
    assertThat(valid(b, k)).isTrue();
    String admin = Cluster.adminToken(a);
    assertThat(
            Cluster.post(
                    a.port(),
                    "/v1/owners",
                    admin,
                    "{\"owner_id\":\"acme\",\"name\":\"Acme\",\"emails\":[\"ops@acme.test\"]}")
                .statusCode())
        .isEqualTo(201);
    var owner =
        Cluster.get(b.port(), "/v1/owners/acme", Map.of("Authorization", "Bearer " + admin));
    assertThat(owner.statusCode()).as(owner.body()).isEqualTo(200);
    assertThat(owner.body()).contains("ops@acme.test"); // b opens what a sealed
    key(b);
    assertThat(b.keygate().verifyAudit().problems()).isEmpty();
  }

  @Test
  void aNodeWithAnotherPepperDataKeyOrAuditKey_refusesToStart_namingTheSecretAndTheFix() {
    KeygateServer a = node(env(1, Map.of()));
    CreatedKey k = key(a);
    String other = Cluster.randomSecret();
    record Case(Map<String, String> env, String says, String fix) {}
    List<Case> cases =
        List.of(
            new Case(
                env(2, with("KEYGATE_PEPPER", other)),
                "pepper v1 of this node (KEYGATE_PEPPER) is not the pepper v1 this database was"
                    + " written with",
                "Give this node the pepper the other nodes use"),
            new Case(
                env(3, with("KEYGATE_DATA_KEY", other)),
                "data key v1 of this node (KEYGATE_DATA_KEY) is not the data key v1",
                "Give this node the data key the other nodes use"),
            new Case(
                env(4, with("KEYGATE_DATA_KEY", null)), // generates its own data-key file
                "data key v1 of this node (file " + cluster.dir.resolve("node-4/data-key"),
                "KEYGATE_DATA_KEY_FILE"),
            new Case(
                env(5, with("KEYGATE_AUDIT_KEY", other)),
                "audit key v1 of this node (KEYGATE_AUDIT_KEY) is not the audit key v1",
                "Give this node the audit key the other nodes use"),
            new Case(
                env(6, with("KEYGATE_AUDIT_KEY", null)), // generates its own audit-key file
                "audit key v1 of this node (file " + cluster.dir.resolve("node-6/audit-key"),
                "KEYGATE_AUDIT_KEY_FILE"));
    for (Case c : cases) {
      assertThatThrownBy(() -> node(c.env()))
          .isInstanceOf(KeygateException.SecretMismatch.class)
          .hasMessageContaining(c.says())
          .hasMessageContaining(c.fix())
          .hasMessageNotContaining(other);
    }
    assertThat(valid(a, k)).as("the refused nodes changed nothing").isTrue();
    assertThat(a.keygate().store().secretChecks(SecretChecks.PEPPER)).containsOnlyKeys(1);
    assertThat(a.keygate().verifyAudit().problems()).isEmpty();
  }

  @Test
  void firstStartAfterAnUpgrade_aWrongDataKey_isRefusedByTheOwnersItCannotOpen() throws Exception {
    KeygateServer a = node(env(1, Map.of()));
    String admin = Cluster.adminToken(a);
    for (String owner : List.of("acme", "globex")) {
      assertThat(
              Cluster.post(
                      a.port(),
                      "/v1/owners",
                      admin,
                      "{\"owner_id\":\"" + owner + "\",\"name\":\"n\",\"emails\":[\"o@x.test\"]}")
                  .statusCode())
          .isEqualTo(201);
    }
    // A database from before the check values existed: nothing recorded for the data key yet.
    try (var c = cluster.connect();
        var st = c.createStatement()) {
      st.executeUpdate("DELETE FROM secret_checks WHERE secret = 'data_key'");
    }
    assertThatThrownBy(() -> node(env(2, with("KEYGATE_DATA_KEY", Cluster.randomSecret()))))
        .isInstanceOf(KeygateException.SecretMismatch.class)
        .hasMessageContaining(
            "data key v1 of this node (KEYGATE_DATA_KEY) opens none of the owner channels sealed"
                + " under v1");
    assertThat(a.keygate().store().secretChecks(SecretChecks.DATA_KEY)).isEmpty();
    node(env(3, Map.of())); // the right key passes and records the check value
    assertThat(a.keygate().store().secretChecks(SecretChecks.DATA_KEY)).containsOnlyKeys(1);
  }

  @Test
  void aRunningNodeMissingARotatedDataKey_answers503SecretMismatch_notA500_untilItReloads()
      throws Exception {
    Map<String, String> files = with("KEYGATE_DATA_KEY", null);
    KeygateServer a = node(env(1, files));
    Path fileA = cluster.dir.resolve("node-1/data-key");
    Path fileB = cluster.dir.resolve("node-2/data-key");
    Files.createDirectories(fileB.getParent());
    Files.copy(fileA, fileB);
    KeygateServer b = node(env(2, files));
    String admin = Cluster.adminToken(a);
    Cluster.post(a.port(), "/v1/owners", admin, "{\"owner_id\":\"acme\",\"name\":\"A\"}");
    DataKeyFile.addVersion(fileA, new SecureRandom());
    await("a seals under v2")
        .atMost(Duration.ofSeconds(20))
        .until(() -> a.monitoring().dataCipher().currentVersion() == 2);
    var patch =
        Cluster.HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.port() + "/v1/owners/acme"))
                .header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json")
                .method(
                    "PATCH",
                    HttpRequest.BodyPublishers.ofString("{\"emails\":[\"ops@acme.test\"]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(patch.statusCode()).as(patch.body()).isEqualTo(200);

    var refused =
        Cluster.get(b.port(), "/v1/owners/acme", Map.of("Authorization", "Bearer " + admin));
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
    assertThat(refused.body())
        .contains("\"error\":\"secret_mismatch\"")
        .contains("data key version 2, which is not configured")
        .doesNotContain("ops@acme.test");
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("5");

    Files.copy(fileA, fileB, StandardCopyOption.REPLACE_EXISTING);
    await("b opens it after reloading")
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              try {
                return Cluster.get(
                            b.port(), "/v1/owners/acme", Map.of("Authorization", "Bearer " + admin))
                        .statusCode()
                    == 200;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
  }

  @Test
  void aNodeMissingANewerPepper_refusesToStart_andAConflictingRotationIsNotReloaded()
      throws Exception {
    Path fileA = cluster.dir.resolve("node-1/pepper");
    Path fileB = cluster.dir.resolve("node-2/pepper");
    KeygateServer a = node(env(1, with("KEYGATE_PEPPER", null)));
    Files.createDirectories(fileB.getParent());
    Files.copy(fileA, fileB);
    Path oldCopy = cluster.dir.resolve("old-pepper");
    Files.copy(fileA, oldCopy);
    KeygateServer b = node(env(2, with("KEYGATE_PEPPER", null)));
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    Logger watcher = (Logger) LoggerFactory.getLogger("io.keygate.server.SecretsWatcher");
    watcher.addAppender(log);
    try {
      // The operator rotates node a's file, then — by mistake — node b's own copy separately.
      PepperFile.addVersion(fileA, new SecureRandom());
      await("a reloads v2")
          .atMost(Duration.ofSeconds(20))
          .until(() -> a.keygate().hasher().currentVersion() == 2);
      CreatedKey underV2 = key(a);
      PepperFile.addVersion(fileB, new SecureRandom());
      await("b refuses its own v2")
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  log.list.stream()
                      .anyMatch(
                          e ->
                              e.getFormattedMessage().contains("changed but was not reloaded")
                                  && e.getFormattedMessage().contains("pepper v2 of this node")));
      assertThat(b.keygate().hasher().versions()).containsExactly(1);
      assertThat(valid(a, underV2)).isTrue();

      // A node started with b's file, or with the pre-rotation copy, is refused.
      assertThatThrownBy(() -> node(env(3, pepperFile(fileB))))
          .isInstanceOf(KeygateException.SecretMismatch.class)
          .hasMessageContaining("pepper v2 of this node (file " + fileB + ") is not the pepper v2");
      assertThatThrownBy(() -> node(env(4, pepperFile(oldCopy))))
          .isInstanceOf(KeygateException.SecretMismatch.class)
          .hasMessageContaining("pepper v2 is already in use by another node")
          .hasMessageContaining("this node's newest pepper is v1");
    } finally {
      watcher.detachAppender(log);
    }
  }
}
