package io.keygate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFileRotationTest {
  private static final SecretFileRotation AUDIT_KEY =
      new SecretFileRotation(
          "audit key", "audit key file", "KEYGATE_AUDIT_KEY", "--audit-key-file");

  @TempDir Path dir;
  private final StringWriter errText = new StringWriter();
  private final PrintWriter err = new PrintWriter(errText, true);

  @Test
  void file_secretGivenInEnv_isRefusedUnlessAFileIsNamed() throws Exception {
    Path named = Files.createFile(dir.resolve("named"));
    assertThat(AUDIT_KEY.file(err, null, true, named)).isNull();
    assertThat(errText.toString())
        .isEqualTo(
            "KEYGATE_AUDIT_KEY gives the audit key directly; rotation needs an audit key file"
                + " (KEYGATE_AUDIT_KEY_FILE or --audit-key-file)"
                + System.lineSeparator());
    assertThat(AUDIT_KEY.file(err, named, true, dir.resolve("default"))).isEqualTo(named);
  }

  @Test
  void file_missing_isRefused_existingDefault_isTaken() throws Exception {
    assertThat(AUDIT_KEY.file(err, null, false, dir.resolve("absent"))).isNull();
    assertThat(errText.toString()).startsWith("no audit key file at ");
    Path present = Files.createFile(dir.resolve("present"));
    assertThat(AUDIT_KEY.file(err, null, false, present)).isEqualTo(present);
  }

  @Test
  void refuseRetire_currentOrUnknownVersion_onlyOlderHeldOnePasses() {
    assertThat(AUDIT_KEY.refuseRetire(err, 1, 3, List.of(1, 3))).isFalse();
    assertThat(errText.toString()).isEmpty();
    assertThat(AUDIT_KEY.refuseRetire(err, 3, 3, List.of(1, 3))).isTrue();
    assertThat(AUDIT_KEY.refuseRetire(err, 2, 3, List.of(1, 3))).isTrue();
    assertThat(errText.toString())
        .contains("refusing to retire audit key v3: it is the current version")
        .contains("refusing to retire audit key v2: the audit key file has no such version [1, 3]");
  }

  @Test
  void retire_fileRefusal_isPrinted_andReportedFalse() throws Exception {
    Path file = dir.resolve("f");
    assertThat(
            AUDIT_KEY.retire(
                err,
                file,
                1,
                (f, v) -> {
                  throw new IllegalArgumentException("last version");
                }))
        .isFalse();
    assertThat(errText.toString()).contains("refusing to retire audit key v1: last version");
    assertThat(AUDIT_KEY.retire(err, file, 1, (f, v) -> {})).isTrue();
  }
}
