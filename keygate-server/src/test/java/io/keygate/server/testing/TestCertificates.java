package io.keygate.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Certificates made at test time with the JDK's {@code keytool} (and other command-line tools). */
public final class TestCertificates {
  /** The password of the key stores and keys made here. */
  public static final String PASSWORD = "changeit";

  private TestCertificates() {}

  /**
   * A new PKCS12 key store at {@code file} holding alias {@code keygate}: an EC (P-256) key with a
   * self-signed certificate for {@code localhost} and {@code 127.0.0.1}, valid two days.
   */
  public static Path keyStore(Path file) throws IOException, InterruptedException {
    run(
        "keytool",
        "-genkeypair",
        "-alias",
        "keygate",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=localhost",
        "-ext",
        "SAN=ip:127.0.0.1,dns:localhost",
        "-validity",
        "2",
        "-storetype",
        "PKCS12",
        "-keystore",
        file.toString(),
        "-storepass",
        PASSWORD,
        "-keypass",
        PASSWORD);
    return file;
  }

  /** Runs {@code cmd}; fails the test, showing its output, unless it exits 0 within 2 minutes. */
  public static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
  }
}
