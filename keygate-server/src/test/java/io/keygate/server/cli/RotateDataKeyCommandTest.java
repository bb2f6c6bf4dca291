package io.keygate.server.cli;

import static io.keygate.server.cli.RotatePepperCommandTest.cli;
import static io.keygate.server.testing.TestServer.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.keygate.core.notify.DataCipher;
import io.keygate.core.notify.NotifyStore;
import io.keygate.server.cli.RotatePepperCommandTest.Run;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import io.keygate.store.jdbc.JdbcExtensions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, online data-key rotation: {@code keygate rotate-data-key} against a running server that
 * reloads the file, seals updates under the new version, and keeps opening re-sealed rows.
 */
class RotateDataKeyCommandTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  // a documentation address (TEST-NET-3), allowed below: the URLs are stored, never called
  private static final String URL = "https://203.0.113.10/keygate";

  @TempDir Path dir;
  TestServer t;
  NotifyStore owners;

  @BeforeEach
  void start() {
    t =
        servers.start(
            dir,
            c -> c,
            b ->
                b.secrets(SecretsConfig.defaults().withReloadInterval(Duration.ofMillis(100)))
                    .outbound(OutboundConfig.defaults().allowing("203.0.113.0/24"))
                    .notifyConfig(
                        NotifyConfig.defaults()
                            .withSmtp(
                                new NotifyConfig.Smtp(
                                    "127.0.0.1", 25, null, null, "kg@test.example", false))));
    owners = JdbcExtensions.notifyStore(t.server.keygate().store()).orElseThrow();
  }

  private int sealedVersion(String ownerId) {
    return DataCipher.versionOf(owners.findOwner(ownerId).orElseThrow().sealedChannels());
  }

  @Test
  void rotateDataKey_serverSealsUnderTheNewVersion_resealMovesTheRest_thenTheOldOneRetires()
      throws Exception {
    String d = dir.toString();
    DataCipher cipher = t.server.monitoring().dataCipher();
    for (int i = 0; i < 5; i++) {
      t.post(
              "/v1/owners",
              map(
                  "owner_id",
                  "owner" + i,
                  "name",
                  "Owner " + i,
                  "webhooks",
                  List.of(map("url", URL + i, "secret", "whsec_test_signing_value_" + i)),
                  "emails",
                  List.of("sec" + i + "@acme-owner.example")))
          .expect(201);
    }
    assertThat(sealedVersion("owner0")).isEqualTo(1);

    Run added = cli("rotate-data-key", "--data-dir", d);
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(added.out()).contains("added data key v2", "--reseal");
    await("the server reloads data key v2")
        .atMost(Duration.ofSeconds(15))
        .until(() -> cipher.currentVersion() == 2);

    // an update seals under v2; untouched rows stay on v1 and still open
    t.patch("/v1/owners/owner0", map("emails", List.of("new@acme-owner.example"))).expect(200);
    assertThat(sealedVersion("owner0")).isEqualTo(2);
    assertThat(t.get("/v1/owners/owner1").expect(200).toString()).contains(URL + "1");

    Run status = cli("rotate-data-key", "--status", "--data-dir", d);
    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out()).contains("versions [1, 2], v2 seals", "v1: 4 owners", "v2: 1 owners");
    Run refused = cli("rotate-data-key", "--retire", "1", "--data-dir", d);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("4 owner row(s)", "--reseal");

    Run current = cli("rotate-data-key", "--retire", "2", "--data-dir", d);
    assertThat(current.exit()).isEqualTo(1);
    assertThat(current.err()).contains("current version");

    Run reseal = cli("rotate-data-key", "--reseal", "--batch", "2", "--data-dir", d);
    assertThat(reseal.exit()).as(reseal.err()).isZero();
    assertThat(reseal.out())
        .contains("2 owners scanned", "4 owners scanned", "done: 5 owners scanned, 4 re-sealed");
    Run again = cli("rotate-data-key", "--reseal", "--data-dir", d);
    assertThat(again.out()).contains("done: 5 owners scanned, 0 re-sealed");
    for (int i = 0; i < 5; i++) {
      assertThat(sealedVersion("owner" + i)).isEqualTo(2);
    }
    status = cli("rotate-data-key", "--status", "--data-dir", d);
    assertThat(status.out()).contains("v1: 0 owners (can be retired", "v2: 5 owners");

    Run retired = cli("rotate-data-key", "--retire", "1", "--data-dir", d);
    assertThat(retired.exit()).as(retired.err()).isZero();
    await("the server drops data key v1")
        .atMost(Duration.ofSeconds(15))
        .until(() -> cipher.versions().equals(List.of(2)));
    for (int i = 1; i < 5; i++) {
      assertThat(t.get("/v1/owners/owner" + i).expect(200).toString())
          .contains(URL + i, "sec" + i + "@acme-owner.example")
          .doesNotContain("whsec_test_signing_value_");
    }
    assertThat(Files.getPosixFilePermissions(dir.resolve("data-key")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(dir.resolve("data-key")).lines().filter(l -> l.startsWith("v")))
        .hasSize(1);
  }
}
