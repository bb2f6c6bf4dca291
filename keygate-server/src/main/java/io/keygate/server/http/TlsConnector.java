package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.keygate.server.config.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Serves the API over HTTPS: one Jetty TLS connector (TLS 1.3 and 1.2 only; SSLv3, TLS 1.0 and 1.1
 * are excluded) replaces the plain-HTTP one, and every answer carries {@code
 * Strict-Transport-Security}. The certificate comes from a PEM pair (PKCS#8 key, RSA or EC) or a
 * PKCS12 key store.
 *
 * <p><b>Security guarantees.</b> No plain-HTTP listener exists when TLS is on. The private key is
 * held only in an in-memory key store; nothing about it is logged.
 */
public final class TlsConnector {
  private static final char[] IN_MEMORY = "keygate".toCharArray();

  private TlsConnector() {}

  /** Adds the TLS connector on {@code host:port} and the HSTS header to {@code config}. */
  public static void install(JavalinConfig config, TlsConfig tls, String host, int port) {
    SslContextFactory.Server ssl = sslContext(tls);
    config.jetty.addConnector(
        (server, httpConfig) -> {
          HttpConfiguration https = new HttpConfiguration(httpConfig);
          SecureRequestCustomizer src = new SecureRequestCustomizer();
          src.setSniHostCheck(false); // clients may connect by IP address
          src.setStsMaxAge(-1); // HSTS is set below, on every answer
          https.addCustomizer(src);
          ServerConnector c =
              new ServerConnector(
                  server,
                  new SslConnectionFactory(ssl, "http/1.1"),
                  new HttpConnectionFactory(https));
          c.setHost(host);
          c.setPort(port);
          return c;
        });
    config.routes.before(ctx -> ctx.header("Strict-Transport-Security", TlsConfig.HSTS));
  }

  /** The Jetty TLS context for {@code tls}: TLS 1.2+ only. */
  static SslContextFactory.Server sslContext(TlsConfig tls) {
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    try {
      if (tls.keystore() != null) {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(tls.keystore())) {
          ks.load(in, tls.keystorePassword().toCharArray());
        }
        ssl.setKeyStore(ks);
        ssl.setKeyStorePassword(tls.keystorePassword());
      } else {
        ssl.setKeyStore(fromPem(tls));
        ssl.setKeyStorePassword(new String(IN_MEMORY));
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot load the TLS certificate and key: " + e.getMessage(), e);
    }
    ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    ssl.setExcludeProtocols("SSL", "SSLv2", "SSLv2Hello", "SSLv3", "TLSv1", "TLSv1.1");
    return ssl;
  }

  private static KeyStore fromPem(TlsConfig tls) throws IOException, GeneralSecurityException {
    List<? extends Certificate> chain;
    try (InputStream in = Files.newInputStream(tls.cert())) {
      chain = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
    }
    if (chain.isEmpty()) {
      throw new GeneralSecurityException(tls.cert() + " holds no certificate");
    }
    String pem = Files.readString(tls.key(), StandardCharsets.US_ASCII);
    if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
      throw new GeneralSecurityException(
          tls.key()
              + " is not a PKCS#8 PEM key (BEGIN PRIVATE KEY); convert it with: openssl"
              + " pkcs8 -topk8 -nocrypt -in old.pem -out key.pem");
    }
    String b64 =
        pem.substring(pem.indexOf("-----BEGIN PRIVATE KEY-----") + 27, pem.indexOf("-----END"))
            .replaceAll("\\s", "");
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(b64));
    PrivateKey key = null;
    for (String alg : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        key = KeyFactory.getInstance(alg).generatePrivate(spec);
        break;
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    if (key == null) {
      throw new GeneralSecurityException(tls.key() + ": not an RSA or EC PKCS#8 key");
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("keygate", key, IN_MEMORY, chain.toArray(new Certificate[0]));
    return ks;
  }
}
