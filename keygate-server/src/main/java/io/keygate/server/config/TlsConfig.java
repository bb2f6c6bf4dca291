package io.keygate.server.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * HTTPS settings. Off by default (plain HTTP on loopback). When on, the server listens only with
 * TLS 1.2 or 1.3 (no plain-HTTP connector) and sends {@code Strict-Transport-Security}.
 *
 * <table>
 *   <caption>Environment variables</caption>
 *   <tr><th>Variable</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>{@code KEYGATE_TLS_CERT}</td><td>unset</td><td>PEM certificate chain (leaf
 *       first)</td></tr>
 *   <tr><td>{@code KEYGATE_TLS_KEY}</td><td>unset</td><td>PEM PKCS#8 private key ({@code BEGIN
 *       PRIVATE KEY}), RSA or EC</td></tr>
 *   <tr><td>{@code KEYGATE_TLS_KEYSTORE}</td><td>unset</td><td>PKCS12 key store (instead of
 *       the PEM pair)</td></tr>
 *   <tr><td>{@code KEYGATE_TLS_KEYSTORE_PASSWORD}</td><td>empty</td><td>its password</td></tr>
 * </table>
 *
 * @param cert PEM certificate chain, or {@code null}
 * @param key PEM PKCS#8 private key, or {@code null}
 * @param keystore PKCS12 key store, or {@code null}
 * @param keystorePassword the key store's password ({@code ""} when none)
 */
public record TlsConfig(Path cert, Path key, Path keystore, String keystorePassword) {
  /** HSTS value sent on every answer when TLS is on. */
  public static final String HSTS = "max-age=31536000";

  /** Validates: either the PEM pair, or a key store, or nothing; named files must exist. */
  public TlsConfig {
    keystorePassword = keystorePassword == null ? "" : keystorePassword;
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException(
          "KEYGATE_TLS_CERT and KEYGATE_TLS_KEY must be set together");
    }
    if (cert != null && keystore != null) {
      throw new IllegalStateException(
          "set either KEYGATE_TLS_CERT/KEYGATE_TLS_KEY or KEYGATE_TLS_KEYSTORE, not both");
    }
    for (Path p : new Path[] {cert, key, keystore}) {
      if (p != null && !Files.isReadable(p)) {
        throw new IllegalArgumentException("TLS file " + p + " does not exist or is not readable");
      }
    }
  }

  /** TLS off. */
  public static TlsConfig off() {
    return new TlsConfig(null, null, null, "");
  }

  /** Reads the variables above from {@code env} through {@link Settings}. */
  public static TlsConfig fromEnv(Map<String, String> env) {
    return new TlsConfig(
        Settings.TLS_CERT.from(env),
        Settings.TLS_KEY.from(env),
        Settings.TLS_KEYSTORE.from(env),
        Settings.TLS_KEYSTORE_PASSWORD.from(env));
  }

  /** Whether the server serves HTTPS. */
  public boolean enabled() {
    return cert != null || keystore != null;
  }
}
