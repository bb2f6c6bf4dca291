package io.keygate.store.jdbc;

import java.util.Map;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;

/**
 * The {@code secret_checks} table (V7): per secret name and version, the check value that shows
 * which secret a database was used with (never the secret). Stateless.
 */
final class SecretCheckRows {
  private SecretCheckRows() {}

  /** The recorded check values of {@code secret}, by version, lowest first. */
  static Map<Integer, String> read(Handle h, String secret) {
    Map<Integer, String> out = new TreeMap<>();
    h.createQuery("SELECT version, check_value FROM secret_checks WHERE secret = :secret")
        .bind("secret", secret)
        .map((rs, ctx) -> Map.entry(rs.getInt(1), rs.getString(2)))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /** Inserts a check value unless one is recorded for that secret and version. */
  static void insert(Handle h, String secret, int version, String value) {
    h.createUpdate(
            "INSERT INTO secret_checks (secret, version, check_value)"
                + " VALUES (:secret, :version, :value) ON CONFLICT (secret, version) DO NOTHING")
        .bind("secret", secret)
        .bind("version", version)
        .bind("value", value)
        .execute();
  }
}
