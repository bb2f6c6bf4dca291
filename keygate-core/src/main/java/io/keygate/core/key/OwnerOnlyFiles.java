package io.keygate.core.key;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Files and directories only their owner may use: directories 0700, files 0600. Everything Keygate
 * creates in its data directory goes through here (the directory itself, the pepper, data-key and
 * audit-key files, the SQLite database, the audit witness).
 *
 * <p>On a file system without POSIX permissions the permission parts are skipped. Thread-safe:
 * stateless apart from a JVM-wide lock that, with a file lock, serialises {@link #update}s.
 */
public final class OwnerOnlyFiles {
  /** rw------- */
  public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  /** rwx------ */
  public static final Set<PosixFilePermission> DIRECTORY =
      PosixFilePermissions.fromString("rwx------");

  /** Serialises updates within this JVM ({@link FileChannel#lock} covers other processes). */
  private static final Object LOCAL = new Object();

  private OwnerOnlyFiles() {}

  /** Creates {@code dir} and its missing parents; each directory created here is 0700. */
  public static void createDirectories(Path dir) throws IOException {
    if (posix()) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
    } else {
      Files.createDirectories(dir);
    }
  }

  /**
   * Creates an empty 0600 file (and its missing parent directories, 0700) unless it exists.
   *
   * @return whether it was created
   */
  public static boolean createFile(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      createDirectories(dir);
    }
    try {
      Files.createFile(file, fileAttributes());
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  /** Whether group or others hold any permission on {@code path} (false without POSIX). */
  public static boolean isShared(Path path) throws IOException {
    try {
      return Files.getPosixFilePermissions(path).stream()
          .anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"));
    } catch (UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * Takes every group and other permission off an existing file (0600 at most).
   *
   * @return whether it changed anything ({@code false} also when the file does not exist)
   */
  public static boolean restrict(Path file) throws IOException {
    try {
      if (!isShared(file)) {
        return false;
      }
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      perms.retainAll(FILE);
      Files.setPosixFilePermissions(file, perms);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * Refuses a file that group or others may access.
   *
   * @param what what it holds, for the message (e.g. {@code "pepper"})
   * @throws IllegalStateException naming the file, its permissions and the fix
   */
  public static void requireOwnerOnly(Path file, String what) throws IOException {
    if (isShared(file)) {
      throw new IllegalStateException(
          "refusing to use "
              + what
              + " file "
              + file
              + ": it is accessible by group or others ("
              + PosixFilePermissions.toString(Files.getPosixFilePermissions(file))
              + "); run: chmod 600 "
              + file);
    }
  }

  /**
   * Changes {@code file} under an exclusive lock (this JVM and, through {@code <file>.lock}, other
   * processes): {@code change} gets the current text ({@code null} when the file does not exist)
   * and returns the new text, or {@code null} to leave the file alone. The new text is written to
   * an owner-only temporary file next to it, forced to disk and moved over {@code file} atomically,
   * so a crash leaves the old or the new file, never a partial one.
   *
   * @return whether the file was rewritten
   */
  public static boolean update(Path file, UnaryOperator<String> change) throws IOException {
    synchronized (LOCAL) {
      try (FileChannel ignored = lock(file)) {
        String now = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : null;
        String next = change.apply(now);
        if (next == null) {
          return false;
        }
        rewrite(file, next);
        return true;
      }
    }
  }

  private static void rewrite(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp", fileAttributes());
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems cannot open a directory for syncing; the move itself is atomic
    }
  }

  /** An exclusive lock on {@code <file>.lock}, released when the channel closes. */
  private static FileChannel lock(Path file) throws IOException {
    Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
    createFile(lockFile);
    FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE);
    try {
      ch.lock();
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static FileAttribute<?>[] fileAttributes() {
    return posix()
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)}
        : new FileAttribute<?>[0];
  }

  private static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }
}
