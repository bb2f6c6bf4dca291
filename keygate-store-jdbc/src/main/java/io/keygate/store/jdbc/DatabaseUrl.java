package io.keygate.store.jdbc;

import io.keygate.core.SecretMasker;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A parsed connection target: the JDBC URL to hand to the driver plus any credentials that came
 * embedded in a {@code postgres://user:password@host/db} URL.
 *
 * @param dialect which database
 * @param jdbcUrl the driver URL, without embedded credentials
 * @param user user from the URL, or {@code null}
 * @param password password from the URL, or {@code null}
 */
record DatabaseUrl(Dialect dialect, String jdbcUrl, String user, String password) {

  private static final String SQLITE_PREFIX = "jdbc:sqlite:";
  private static final String POSTGRES_PREFIX = "jdbc:postgresql:";

  /**
   * Parses {@code jdbc:sqlite:…}, {@code jdbc:postgresql://…}, {@code postgres://…} or {@code
   * postgresql://…}.
   *
   * @throws IllegalArgumentException for anything else, or for in-memory SQLite
   */
  static DatabaseUrl parse(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("database URL is empty");
    }
    String lower = url.toLowerCase(Locale.ROOT);
    if (lower.startsWith(SQLITE_PREFIX)) {
      String file = url.substring(SQLITE_PREFIX.length());
      if (file.isBlank() || file.contains(":memory:") || file.contains("mode=memory")) {
        throw new IllegalArgumentException(
            "in-memory SQLite is not supported: every pooled connection would open its own"
                + " empty database; give a file path, e.g. jdbc:sqlite:/var/lib/keygate/keygate.db");
      }
      return new DatabaseUrl(Dialect.SQLITE, url, null, null);
    }
    if (lower.startsWith(POSTGRES_PREFIX)) {
      return new DatabaseUrl(Dialect.POSTGRESQL, url, null, null);
    }
    if (lower.startsWith("postgres://") || lower.startsWith("postgresql://")) {
      return fromPostgresUri(url);
    }
    throw new IllegalArgumentException(
        "unsupported database URL "
            + SecretMasker.mask(url)
            + ": expected jdbc:sqlite:<file>, jdbc:postgresql://…, postgres://… or"
            + " postgresql://…");
  }

  private static DatabaseUrl fromPostgresUri(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("malformed database URL " + SecretMasker.mask(url), e);
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("database URL " + SecretMasker.mask(url) + " has no host");
    }
    StringBuilder jdbc = new StringBuilder(POSTGRES_PREFIX).append("//").append(uri.getHost());
    if (uri.getPort() != -1) {
      jdbc.append(':').append(uri.getPort());
    }
    String path = uri.getRawPath();
    jdbc.append(path == null || path.isEmpty() ? "/" : path);
    if (uri.getRawQuery() != null) {
      jdbc.append('?').append(uri.getRawQuery());
    }
    String user = null;
    String password = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
      password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
    }
    return new DatabaseUrl(Dialect.POSTGRESQL, jdbc.toString(), user, password);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** {@link #jdbcUrl} with secrets masked, for logs and messages. */
  String describe() {
    return SecretMasker.mask(jdbcUrl) + (user == null ? "" : " as " + user);
  }

  @Override
  public String toString() {
    return "DatabaseUrl[" + dialect.label() + " " + describe() + "]";
  }
}
