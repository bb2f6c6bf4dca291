package io.keygate.core.key;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * A versioned secret file — the format of the pepper and data-key files: one line per version,
 * {@code v<N>:<base64>}, {@code #} comments; the highest version is current (rotate by appending a
 * line). Generated with owner-only permissions (0600) when absent.
 *
 * <p><b>Security guarantees.</b> Refuses to read a file that group or others may access, so a
 * secret never sits readable by other users. Never prints secret material: messages name the file
 * and line only. Thread-safe: stateless.
 */
public final class SecretFile {
  /** One version read from the file. */
  public record Version(int version, byte[] secret) {}

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  /** Serialises rotations within this JVM ({@link FileChannel#lock} covers other processes). */
  private static final Object LOCAL = new Object();

  private SecretFile() {}

  /**
   * Reads {@code file}, first creating it with one random version of {@code bytes} bytes if it does
   * not exist.
   *
   * @param what what the file holds, for messages (e.g. {@code "pepper"})
   */
  public static List<Version> loadOrCreate(Path file, String what, int bytes, SecureRandom random) {
    try {
      if (!Files.exists(file)) {
        create(file, bytes, random);
      }
      return load(file, what);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + what + " file " + file, e);
    }
  }

  private static void create(Path file, int bytes, SecureRandom random) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (FileAlreadyExistsException e) {
      return; // another process created it first; use theirs
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(
        file, line(1, bytes, random), StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
  }

  /** Reads an existing file; {@code IllegalStateException} naming the problem. */
  public static List<Version> load(Path file, String what) throws IOException {
    requireOwnerOnly(file, what);
    List<Version> out = new ArrayList<>();
    int n = 0;
    for (String raw : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
      n++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (!line.startsWith("v") || colon < 2) {
        throw new IllegalStateException(file + " line " + n + ": expected v<N>:<base64>");
      }
      try {
        out.add(
            new Version(
                Integer.parseInt(line.substring(1, colon)),
                Base64.getDecoder().decode(line.substring(colon + 1))));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(file + " line " + n + ": " + e.getMessage());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(file + " holds no " + what + " version");
    }
    return out;
  }

  /**
   * Adds a new version, one higher than the highest, and returns its number. The file is rewritten
   * atomically (temporary file, fsync, atomic move): a crash leaves either the old or the new file,
   * never a partial one, and every existing line is kept.
   */
  public static int addVersion(Path file, String what, int bytes, SecureRandom random)
      throws IOException {
    synchronized (LOCAL) {
      try (FileChannel ignored = lock(file)) {
        return add(file, what, bytes, random);
      }
    }
  }

  private static int add(Path file, String what, int bytes, SecureRandom random)
      throws IOException {
    int next = load(file, what).stream().mapToInt(Version::version).max().orElse(0) + 1;
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    if (!text.isEmpty() && !text.endsWith("\n")) {
      text += "\n";
    }
    rewrite(file, text + line(next, bytes, random));
    return next;
  }

  /**
   * Removes version {@code version} (atomically, like {@link #addVersion}). Values made under it
   * stop verifying or opening once the readers reload the file.
   *
   * @throws IllegalArgumentException the file has no such version, or it is the highest one (the
   *     current version cannot be retired)
   */
  public static void removeVersion(Path file, String what, int version) throws IOException {
    synchronized (LOCAL) {
      try (FileChannel ignored = lock(file)) {
        remove(file, what, version);
      }
    }
  }

  private static void remove(Path file, String what, int version) throws IOException {
    List<Version> versions = load(file, what);
    int highest = versions.stream().mapToInt(Version::version).max().orElse(0);
    if (versions.stream().noneMatch(v -> v.version() == version)) {
      throw new IllegalArgumentException(file + " has no " + what + " version " + version);
    }
    if (version == highest) {
      throw new IllegalArgumentException(
          "v" + version + " is the current " + what + " version; add a newer one first");
    }
    StringBuilder kept = new StringBuilder();
    String prefix = "v" + version + ":";
    for (String raw : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
      if (!raw.strip().startsWith(prefix)) {
        kept.append(raw).append('\n');
      }
    }
    rewrite(file, kept.toString());
  }

  /**
   * Replaces {@code file} with {@code text}: writes an owner-only temporary file next to it, forces
   * it to disk, moves it over {@code file} atomically and forces the directory.
   */
  private static void rewrite(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp", ownerOnly());
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
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

  /** An exclusive lock on {@code <file>.lock}, so two rotations cannot interleave. */
  private static FileChannel lock(Path file) throws IOException {
    Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
    FileChannel ch;
    try {
      ch =
          FileChannel.open(
              lockFile,
              Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              ownerOnly());
    } catch (FileAlreadyExistsException e) {
      ch = FileChannel.open(lockFile, StandardOpenOption.WRITE);
    }
    try {
      ch.lock(); // released when the channel closes
      return ch;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static java.nio.file.attribute.FileAttribute<?>[] ownerOnly() {
    return java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
        ? new java.nio.file.attribute.FileAttribute<?>[] {
          PosixFilePermissions.asFileAttribute(OWNER_ONLY)
        }
        : new java.nio.file.attribute.FileAttribute<?>[0];
  }

  private static String line(int version, int bytes, SecureRandom random) {
    byte[] secret = new byte[bytes];
    random.nextBytes(secret);
    return "v" + version + ":" + Base64.getEncoder().encodeToString(secret) + "\n";
  }

  private static void requireOwnerOnly(Path file, String what) throws IOException {
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return; // not a POSIX file system
    }
    for (PosixFilePermission p : perms) {
      if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
        throw new IllegalStateException(
            "refusing to use "
                + what
                + " file "
                + file
                + ": it is accessible by group or others ("
                + PosixFilePermissions.toString(perms)
                + "); run: chmod 600 "
                + file);
      }
    }
  }
}
