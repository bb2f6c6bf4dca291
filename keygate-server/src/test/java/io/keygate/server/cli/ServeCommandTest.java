package io.keygate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.server.config.Setting;
import io.keygate.server.config.Settings;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServeCommandTest {
  @Test
  void serveFlags_areExactlyTheFlagsOfTheSettingsTable() {
    Set<String> options =
        new CommandLine(new ServeCommand())
            .getCommandSpec().options().stream()
                .map(CommandLine.Model.OptionSpec::longestName)
                .filter(n -> !n.equals("--help") && !n.equals("--version"))
                .collect(Collectors.toSet());
    Set<String> table =
        Settings.all().stream()
            .map(Setting::flag)
            .filter(Objects::nonNull)
            .collect(Collectors.toSet());
    assertThat(options).isEqualTo(table);
  }

  @Test
  void plainHttpBeyondLoopback_warnsLoudly() {
    assertThat(ServeCommand.plainHttpWarning("0.0.0.0", false))
        .startsWith("SECURITY WARNING")
        .contains("plain HTTP on 0.0.0.0")
        .contains("KEYGATE_TLS_CERT");
    assertThat(ServeCommand.plainHttpWarning("10.1.2.3", false)).isNotNull();
  }

  @Test
  void loopbackOrTls_doesNotWarn() {
    assertThat(ServeCommand.plainHttpWarning("127.0.0.1", false)).isNull();
    assertThat(ServeCommand.plainHttpWarning("localhost", false)).isNull();
    assertThat(ServeCommand.plainHttpWarning("::1", false)).isNull();
    assertThat(ServeCommand.plainHttpWarning("0.0.0.0", true)).isNull();
  }
}
