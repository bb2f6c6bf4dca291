package io.keygate.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the pepper file and the data-key file when they change, so that {@code keygate
 * rotate-pepper} and {@code keygate rotate-data-key} take effect on a running node without a
 * restart.
 *
 * <p>Design note: a file counts as changed when its modification time, size or identity (inode)
 * differs from the last successful read. The rotate commands replace the file by an atomic move, so
 * the identity changes even within one tick of a coarse file-system clock, and a reader never sees
 * half a file. Following symbolic links, a Kubernetes secret volume (which swaps a symlink) is
 * picked up too. Polling rather than a {@code WatchService}: it works on network file systems and
 * costs one {@code stat} per file and interval.
 *
 * <p><b>Security guarantees.</b> A file that fails to load (group/world-readable, malformed, or
 * lowering the current version) is refused with an error in the log and the versions in force stay
 * unchanged. It is tried again at every check until it loads (a {@code chmod 600} does not change
 * the modification time), and each distinct error is logged once. No secret material is logged.
 * {@link #check()} is called from one thread at a time.
 */
final class SecretsWatcher {
  private static final Logger LOG = LoggerFactory.getLogger(SecretsWatcher.class);

  /** Reloads one file; returns a description of the versions now in force, for the log. */
  @FunctionalInterface
  interface Reload {
    String from(Path file) throws IOException;
  }

  private record Stamp(FileTime modified, long size, Object identity) {}

  private static final class Watched {
    final String what;
    final Path file;
    final Reload reload;
    Stamp last;
    String lastError;

    Watched(String what, Path file, Reload reload) {
      this.what = what;
      this.file = file;
      this.reload = reload;
    }
  }

  private final List<Watched> files = new ArrayList<>();

  /** Watches {@code file}; its current state counts as loaded. */
  SecretsWatcher watch(String what, Path file, Reload reload) {
    Watched w = new Watched(what, Objects.requireNonNull(file, "file"), reload);
    w.last = stamp(file);
    files.add(w);
    return this;
  }

  /** Whether any file is watched. */
  boolean isEmpty() {
    return files.isEmpty();
  }

  /** Reloads every watched file that changed since its last successful load. */
  void check() {
    for (Watched w : files) {
      Stamp now = stamp(w.file);
      if (now == null || now.equals(w.last)) {
        continue;
      }
      try {
        String versions = w.reload.from(w.file);
        w.last = now;
        w.lastError = null;
        LOG.info("{} file {} reloaded: {}", w.what, w.file, versions);
      } catch (IOException | RuntimeException e) {
        String error = String.valueOf(e.getMessage());
        if (!error.equals(w.lastError)) {
          LOG.error(
              "{} file {} changed but was not reloaded, the versions in force stay: {}",
              w.what,
              w.file,
              error);
          w.lastError = error;
        }
      }
    }
  }

  private static Stamp stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
    } catch (IOException e) {
      return null; // missing for a moment (being replaced): keep what is loaded
    }
  }
}
