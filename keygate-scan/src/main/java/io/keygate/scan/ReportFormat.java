package io.keygate.scan;

import io.keygate.core.key.KeyTypes;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;

/**
 * The output formats of {@code keygate scan}. Every format is redacted: it prints a finding's
 * {@link Finding#redacted()} form and SHA-256 {@link Finding#fingerprint()}, never the raw key.
 * Stateless and thread-safe.
 */
public enum ReportFormat {
  /** One line per finding: {@code path:line:col type sk_live_abcd…wxyz}, plus commit data. */
  TEXT,
  /** A JSON array of findings with snake_case fields (see docs/scanner.md). */
  JSON,
  /** SARIF 2.1.0, as GitHub code scanning accepts for upload. */
  SARIF,
  /** gitleaks' JSON report format, with {@code Match} and {@code Secret} set to "REDACTED". */
  GITLEAKS;

  /** The lower-case name used on the command line. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a command-line name, case-insensitively.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static ReportFormat parse(String s) {
    for (ReportFormat f : values()) {
      if (f.id().equalsIgnoreCase(s)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown format '" + s + "' (expected text, json, sarif or gitleaks)");
  }

  /**
   * Writes {@code findings} to {@code out} (UTF-8). {@code keyTypes} are the configured types,
   * which SARIF lists as rules. The stream is flushed, not closed.
   */
  public void write(List<Finding> findings, KeyTypes keyTypes, OutputStream out)
      throws IOException {
    switch (this) {
      case TEXT -> Reports.text(findings, out);
      case JSON -> Reports.json(findings, out);
      case SARIF -> Reports.sarif(findings, keyTypes, out);
      case GITLEAKS -> Reports.gitleaks(findings, out);
    }
    out.flush();
  }
}
