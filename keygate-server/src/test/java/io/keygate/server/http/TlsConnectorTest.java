package io.keygate.server.http;

import static io.keygate.server.testing.TestCertificates.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keygate.server.config.TlsConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestCertificates;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS with certificates generated at test time: a PKCS12 key store from {@code keytool} (EC) and
 * a PEM pair from {@code openssl} (RSA, PKCS#8). TLS 1.3 and 1.2 connect, TLS 1.1 is refused by the
 * server, there is no plain-HTTP listener, and every answer carries HSTS.
 */
class TlsConnectorTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  @TempDir Path dir;

  @Test
  void pkcs12KeyStore_servesTls13And12_withHsts_andNoPlainHttp() throws Exception {
    Path ks = TestCertificates.keyStore(dir.resolve("ks.p12"));
    Path cert = dir.resolve("exported.pem");
    run(
        "keytool",
        "-exportcert",
        "-rfc",
        "-alias",
        "keygate",
        "-keystore",
        ks.toString(),
        "-storepass",
        "changeit",
        "-file",
        cert.toString());
    try (TestServer s = server(new TlsConfig(null, null, ks, "changeit"))) {
      int port = s.server.port();
      assertHttpsWorks(port, cert);
      assertNoPlainHttp(port);
    }
  }

  @Test
  void pemCertificateAndPkcs8RsaKey_serveTls_andTls11IsRefused() throws Exception {
    assumeTrue(hasOpenssl(), "openssl CLI not installed");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString(),
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost");
    assertThat(Files.readString(key)).contains("BEGIN PRIVATE KEY");
    try (TestServer s = server(new TlsConfig(cert, key, null, null))) {
      int port = s.server.port();
      assertHttpsWorks(port, cert);
      // the server refuses TLS 1.1 even for a client that allows it (openssl at security level 0)
      String v11 = sClient(port, "-tls1_1");
      assertThat(v11)
          .doesNotContain("no protocols available")
          .contains("alert protocol version")
          .contains("Cipher is (NONE)");
      assertThat(sClient(port, "-tls1_2")).contains("TLSv1.2");
    }
  }

  @Test
  void halfAPemPair_isRefusedAtStartup() throws IOException {
    Path cert = Files.writeString(dir.resolve("c.pem"), "x");
    assertThatThrownBy(() -> new TlsConfig(cert, null, null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("together");
  }

  private TestServer server(TlsConfig tls) {
    return servers.start(dir.resolve("data"), c -> c, b -> b.tls(tls));
  }

  private static void assertHttpsWorks(int port, Path cert) throws Exception {
    for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
      HttpClient client =
          HttpClient.newBuilder()
              .sslContext(trusting(cert))
              .sslParameters(new SSLParameters(null, new String[] {protocol}))
              .connectTimeout(Duration.ofSeconds(20))
              .build();
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/healthz"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(protocol).isEqualTo(200);
      assertThat(r.sslSession().orElseThrow().getProtocol()).isEqualTo(protocol);
      assertThat(r.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
      HttpResponse<String> err =
          client.send(
              HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/v1/keys")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(err.statusCode()).isEqualTo(401);
      assertThat(err.headers().firstValue("Strict-Transport-Security"))
          .hasValue("max-age=31536000");
    }
  }

  private static void assertNoPlainHttp(int port) {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    assertThatThrownBy(
            () ->
                plain.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                        .timeout(Duration.ofSeconds(20))
                        .build(),
                    HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);
  }

  private static SSLContext trusting(Path certPem) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(certPem)) {
      trust.setCertificateEntry(
          "keygate", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static String sClient(int port, String version) throws Exception {
    Process p =
        new ProcessBuilder(
                "openssl",
                "s_client",
                "-connect",
                "127.0.0.1:" + port,
                version,
                "-cipher",
                "DEFAULT:@SECLEVEL=0")
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  private static boolean hasOpenssl() {
    try {
      return new ProcessBuilder("openssl", "version").start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
