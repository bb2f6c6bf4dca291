package io.keygate.core.key;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
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

  /** Appends a new version, one higher than the highest, and returns its number. */
  public static int addVersion(Path file, String what, int bytes, SecureRandom random)
      throws IOException {
    int next = load(file, what).stream().mapToInt(Version::version).max().orElse(0) + 1;
    Files.writeString(
        file, line(next, bytes, random), StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
    return next;
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
