package io.keygate.scan;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Running counters of one scan, readable from another thread while the scan runs (for progress
 * output). Thread-safe.
 */
public final class ScanStats {
  private final AtomicLong files = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong findings = new AtomicLong();
  private final AtomicLong skippedBinary = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();

  /** Files, blobs and streams scanned so far. */
  public long files() {
    return files.get();
  }

  /** Bytes scanned so far. */
  public long bytes() {
    return bytes.get();
  }

  /** Findings so far. */
  public long findings() {
    return findings.get();
  }

  /** Files or blobs skipped because they look binary (a NUL byte in the first 8 KiB). */
  public long skippedBinary() {
    return skippedBinary.get();
  }

  /** Commits examined by history scans. */
  public long commits() {
    return commits.get();
  }

  void addFile() {
    files.incrementAndGet();
  }

  void addBytes(long n) {
    bytes.addAndGet(n);
  }

  void addFinding() {
    findings.incrementAndGet();
  }

  void addSkippedBinary() {
    skippedBinary.incrementAndGet();
  }

  void addCommit() {
    commits.incrementAndGet();
  }
}
