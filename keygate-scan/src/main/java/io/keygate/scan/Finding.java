package io.keygate.scan;

import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.key.KeyType;
import java.util.Objects;

/**
 * One checksum-confirmed key found by the {@link Scanner}.
 *
 * <p><b>Security guarantees.</b> The raw key is held only in {@link #secret()}, an {@link
 * ApiKeySecret} whose {@code toString} is redacted, so printing a finding never shows the key.
 * Every output format prints {@link #redacted()} and {@link #fingerprint()}; only the explicit
 * report-to-server path calls {@code secret().reveal()}.
 *
 * @param file the file path as scanned, the path inside the repository for history scans, or {@code
 *     "-"} for standard input
 * @param line 1-based line of the key's first character
 * @param column 1-based column of the key's first character, in UTF-16 code units (SARIF's default
 *     column kind)
 * @param endLine 1-based line of the key's last character (differs from {@code line} only for keys
 *     split across lines)
 * @param endColumn 1-based column just past the key's last character on {@code endLine} (exclusive,
 *     as SARIF's {@code endColumn})
 * @param keyType the configured key type whose prefix the key carries; for a key imported with a
 *     prefix that no key type can hold (upper case, {@code .}, {@code -}, longer than 32 characters
 *     or not ending in {@code _}), a type named {@code imported} whose prefix is not the key's
 * @param redacted prefix, first 4 body characters, {@code …}, last 4 characters
 * @param fingerprint lower-case hex SHA-256 of the raw key: lets a server match the key against a
 *     list of SHA-256 hashes without receiving the key
 * @param commit the commit that introduced the key, or {@code null} outside history scans
 * @param split whether the key was reassembled from fragments on several lines
 * @param secret the raw key; never printed by any output format
 */
public record Finding(
    String file,
    long line,
    int column,
    long endLine,
    int endColumn,
    KeyType keyType,
    String redacted,
    String fingerprint,
    CommitInfo commit,
    boolean split,
    ApiKeySecret secret) {

  /** Validates the required components. */
  public Finding {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(redacted, "redacted");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(secret, "secret");
    if (line < 1 || column < 1 || endLine < line || endColumn < 1) {
      throw new IllegalArgumentException(
          "bad position " + line + ":" + column + "-" + endLine + ":" + endColumn);
    }
  }

  /** The same finding attributed to {@code commit}. */
  public Finding withCommit(CommitInfo commit) {
    return new Finding(
        file,
        line,
        column,
        endLine,
        endColumn,
        keyType,
        redacted,
        fingerprint,
        commit,
        split,
        secret);
  }

  /**
   * The redacted display form of a raw key: prefix + first 4 body characters + {@code …} + last 4
   * characters. Reveals 24 bits of the body and the checksum's last 4 digits, never the key.
   */
  public static String redact(KeyType type, String key) {
    return redact(key, type.prefix().length());
  }

  /**
   * The redacted display form of a raw key whose prefix is its first {@code prefixLength}
   * characters, as {@link #redact(KeyType, String)}.
   */
  public static String redact(String key, int prefixLength) {
    return key.substring(0, prefixLength)
        + key.substring(prefixLength, prefixLength + 4)
        + "…"
        + key.substring(key.length() - 4);
  }
}
