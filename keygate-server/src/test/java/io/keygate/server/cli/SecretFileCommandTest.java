package io.keygate.server.cli;

import static io.keygate.server.cli.RotatePepperCommandTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.server.cli.RotatePepperCommandTest.Run;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The refusals every {@code rotate-*} command makes before it touches a secret file. */
class SecretFileCommandTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({
    "rotate-pepper, KEYGATE_PEPPER, c2tfdGVzdF9ub3RfYV9yZWFsX3BlcHBlcl8wMTIzNDU2Nzg5",
    "rotate-data-key, KEYGATE_DATA_KEY, c2tfdGVzdF9ub3RfYV9yZWFsX2RhdGFfa2V5XzAxMjM0NTY=",
    "rotate-audit-key, KEYGATE_AUDIT_KEY, c2tfdGVzdF9ub3RfYV9yZWFsX2F1ZGl0X2tleV8wMTIzNDU2Nzg=",
  })
  void secretGivenByEnvironment_isRefused_namingTheFileVariable(
      String command, String variable, String value) {
    Run env = cli(Map.of(variable, value), command, "--data-dir", dir.toString());
    assertThat(env.exit()).isEqualTo(1);
    assertThat(env.err()).contains(variable + "_FILE");
  }

  @ParameterizedTest
  @CsvSource({
    "rotate-pepper --force --data-dir DIR",
    "rotate-pepper --status --retire 1",
    "rotate-data-key --status --reseal",
    "rotate-data-key --reseal --batch 0",
  })
  void optionsThatDoNotGoTogether_areUsageErrors(String args) {
    assertThat(cli(args.replace("DIR", dir.toString()).split(" ")).exit()).isEqualTo(2);
  }
}
