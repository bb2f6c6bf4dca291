package io.keygate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServeCommandTest {
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
