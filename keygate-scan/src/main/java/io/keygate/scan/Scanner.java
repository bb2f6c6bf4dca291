package io.keygate.scan;

import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import io.keygate.core.lifecycle.KeyImporter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Finds Keygate keys — {@code <prefix><43 base62 body><6 base62 checksum>} for every configured
 * prefix — in byte buffers, streams, files and directories, and the whole history of a git
 * repository. Every candidate is confirmed with the CRC-32 checksum ({@link
 * io.keygate.core.key.Checksum#matches}): look-alikes with a wrong checksum are never findings.
 * Keys must stand as words: the character before the prefix and the one after the checksum must not
 * be base62 or {@code _}.
 *
 * <pre>{@code
 * Scanner scanner = Scanner.builder().keyTypes(KeyTypes.defaults()).build();
 * ScanStats stats = new ScanStats();
 * scanner.scanPaths(List.of(Path.of(".")), stats, finding -> ...);
 * }</pre>
 *
 * <p>Besides whole keys on one line it reassembles keys split across lines in the forms listed in
 * docs/scanner.md (string concatenation, adjacent string literals, backslash-newline, hard line
 * wrap), unless {@link Builder#splitLines(boolean) splitLines(false)}.
 *
 * <p>Thread-safety: a {@code Scanner} is immutable and may be shared; each scan call uses its own
 * buffers, so calls may run concurrently. Findings are delivered to the sink on the calling thread,
 * in input order.
 *
 * <p><b>Security guarantees.</b> The scanner never prints anything. A {@link Finding} carries the
 * raw key only inside an {@link io.keygate.core.key.ApiKeySecret}; every output format of this
 * module prints the redacted form and the SHA-256 fingerprint only.
 */
public final class Scanner {
  private final KeyTypes keyTypes;
  private final boolean splitLines;
  private final boolean respectGitignore;
  private final List<KeyType> imported;
  private final List<String> otherImported;
  private final KeyMatcher matcher;

  private Scanner(Builder b) {
    this.keyTypes = b.keyTypes;
    this.splitLines = b.splitLines;
    this.respectGitignore = b.respectGitignore;
    this.imported = List.copyOf(b.imported);
    this.otherImported = List.copyOf(b.otherImported);
    this.matcher = new KeyMatcher(keyTypes, splitLines, imported, otherImported);
  }

  /** A builder with the defaults: {@link KeyTypes#defaults()}, split lines on, .gitignore on. */
  public static Builder builder() {
    return new Builder();
  }

  /** The key types this scanner looks for. */
  public KeyTypes keyTypes() {
    return keyTypes;
  }

  /**
   * The prefixes of keys imported from another system that this scanner also looks for (keys
   * without a Keygate checksum: candidates a server confirms by hash).
   */
  public List<String> importedPrefixes() {
    return Stream.concat(imported.stream().map(KeyType::prefix), otherImported.stream())
        .sorted()
        .toList();
  }

  /**
   * Whether {@code prefix} can be scanned for as an imported prefix: any prefix {@code POST
   * /v1/keys/import} accepts ({@link KeyImporter#validPrefix}: 1..64 characters of {@code
   * [A-Za-z0-9_.-]}).
   */
  public static boolean scannablePrefix(String prefix) {
    return KeyImporter.validPrefix(prefix);
  }

  /**
   * Whether {@code prefix} follows the rule for Keygate prefixes ({@code [a-z0-9_]}, at most 32
   * characters, ending in {@code _}), which the fast underscore search finds; other imported
   * prefixes take one more pass over the text, comparing them as literal bytes.
   */
  static boolean underscorePrefix(String prefix) {
    try {
      new KeyType("imported", prefix, true, false);
      return true;
    } catch (IllegalArgumentException | NullPointerException e) {
      return false;
    }
  }

  /** Whether keys split across lines are reassembled. */
  public boolean splitLines() {
    return splitLines;
  }

  /** Whether directory walks skip files ignored by {@code .gitignore}. */
  public boolean respectGitignore() {
    return respectGitignore;
  }

  /** Scans an in-memory buffer (not skipped even if binary) and returns its findings. */
  public List<Finding> scan(String file, byte[] content) {
    List<Finding> out = new ArrayList<>();
    try {
      scanStream(file, new ByteArrayInputStream(content), new ScanStats(), out::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * Scans a stream to its end (standard input, logs) without binary detection. The stream is not
   * closed.
   */
  public void scanStream(String file, InputStream in, ScanStats stats, Consumer<Finding> sink)
      throws IOException {
    new StreamScan(matcher).scan(in, file, false, stats, counting(stats, sink));
  }

  /**
   * Scans files and directories. A path that is a file is scanned even if ignored; directories are
   * walked without following symlinks, skipping {@code .git} directories, binary files (a NUL byte
   * in the first 8 KiB) and, if configured, files ignored by {@code .gitignore} rules. Reported
   * file names are the given path joined with the relative path found under it.
   *
   * @throws IllegalArgumentException if a path does not exist
   * @throws ScanException if a file or directory cannot be read
   */
  public void scanPaths(List<Path> paths, ScanStats stats, Consumer<Finding> sink) {
    for (Path p : paths) {
      if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        throw new IllegalArgumentException("no such file or directory: " + p);
      }
    }
    StreamScan scan = new StreamScan(matcher);
    Consumer<Finding> counted = counting(stats, sink);
    for (Path p : paths) {
      try {
        if (Files.isDirectory(p)) {
          walk(p, scan, stats, counted);
        } else {
          scanFile(p, scan, stats, counted);
        }
      } catch (IOException e) {
        throw new ScanException("cannot read " + p + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * Scans every commit reachable from any ref of the repository at or above {@code repository}.
   * Each key is reported once per path, with the commit that introduced it (see {@link
   * Finding#commit()}), including keys later removed and files later deleted.
   *
   * @throws IllegalArgumentException if no repository is found there
   * @throws ScanException if the repository cannot be read
   */
  public void scanGitHistory(Path repository, ScanStats stats, Consumer<Finding> sink) {
    new GitHistory(new StreamScan(matcher)).scan(repository, stats, counting(stats, sink));
  }

  /**
   * Scans the staged version of every file that differs from {@code HEAD} in the repository at or
   * above {@code repository}: what the next commit would record (a pre-commit hook's view).
   *
   * @throws IllegalArgumentException if no repository is found there
   * @throws ScanException if the repository cannot be read
   */
  public void scanStaged(Path repository, ScanStats stats, Consumer<Finding> sink) {
    new StagedChanges(new StreamScan(matcher)).scan(repository, stats, counting(stats, sink));
  }

  private static Consumer<Finding> counting(ScanStats stats, Consumer<Finding> sink) {
    return f -> {
      stats.addFinding();
      sink.accept(f);
    };
  }

  private void walk(Path root, StreamScan scan, ScanStats stats, Consumer<Finding> sink)
      throws IOException {
    IgnoreRules rules = respectGitignore ? IgnoreRules.forRoot(root) : null;
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            if (!dir.equals(root)
                && (dir.getFileName().toString().equals(".git")
                    || rules != null && rules.isIgnored(dir, true))) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            if (rules != null) {
              rules.enter(dir);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            if (rules != null) {
              rules.leave();
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (attrs.isRegularFile() && (rules == null || !rules.isIgnored(file, false))) {
              scanFile(file, scan, stats, sink);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static void scanFile(Path file, StreamScan scan, ScanStats stats, Consumer<Finding> sink)
      throws IOException {
    String name = file.normalize().toString();
    try (InputStream in = Files.newInputStream(file)) {
      scan.scan(in, name.isEmpty() ? file.toString() : name, true, stats, sink);
    }
  }

  /** Builds a {@link Scanner}; fails fast on bad values. Not thread-safe; the built scanner is. */
  public static final class Builder {
    private KeyTypes keyTypes = KeyTypes.defaults();
    private boolean splitLines = true;
    private boolean respectGitignore = true;
    private final List<KeyType> imported = new ArrayList<>();
    private final List<String> otherImported = new ArrayList<>();

    private Builder() {}

    /**
     * Also finds keys imported from another system ({@code POST /v1/keys/import}) with these
     * prefixes: the prefix followed by 16..128 URL-safe base64 characters ({@code [A-Za-z0-9_-]},
     * as Python's {@code secrets.token_urlsafe(32)} makes), standing as a word. Such keys have no
     * checksum; the server confirms them by hash. Any prefix an import accepts may be given (see
     * {@link #scannablePrefix}); one that is not a Keygate-style prefix ({@code [a-z0-9_]} ending
     * in {@code _}, at most 32 characters) is compared as literal bytes (no character is special)
     * in a second pass over the text and reported with type {@code imported}, and keys split across
     * lines are not reassembled for it. Call after {@link #keyTypes}: a prefix shared with a
     * configured key type is reported as that type.
     *
     * @throws IllegalArgumentException if a prefix is not {@link #scannablePrefix scannable}
     */
    public Builder importedPrefixes(Collection<String> prefixes) {
      imported.clear();
      otherImported.clear();
      for (String p : new TreeSet<>(prefixes)) {
        if (!scannablePrefix(p)) {
          throw new IllegalArgumentException(
              "imported prefix must be 1..64 characters of [A-Za-z0-9_.-]: " + p);
        }
        KeyType known = keyTypes.byPrefix(p);
        if (known != null) {
          imported.add(known);
        } else if (underscorePrefix(p)) {
          imported.add(new KeyType("imported", p, true, false));
        } else {
          otherImported.add(p);
        }
      }
      return this;
    }

    /** The key types to look for (default {@link KeyTypes#defaults()}). */
    public Builder keyTypes(KeyTypes keyTypes) {
      this.keyTypes = Objects.requireNonNull(keyTypes, "keyTypes");
      return this;
    }

    /** Whether to reassemble keys split across lines (default true). */
    public Builder splitLines(boolean splitLines) {
      this.splitLines = splitLines;
      return this;
    }

    /** Whether directory walks honour {@code .gitignore} files (default true). */
    public Builder respectGitignore(boolean respectGitignore) {
      this.respectGitignore = respectGitignore;
      return this;
    }

    /** The scanner. */
    public Scanner build() {
      return new Scanner(this);
    }
  }
}
