package io.keygate.core.key;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A versioned secret file — the format of the pepper, data-key and audit-key files: one line per
 * version, {@code v<N>:<base64>}, {@code #} comments; the highest version is current (rotate by
 * appending a line). Generated with owner-only permissions (0600, in a 0700 directory when it
 * creates one) when absent.
 *
 * <p><b>Security guarantees.</b> Refuses to read a file that group or others may access, so a
 * secret never sits readable by other users. Never prints secret material: messages name the file
 * and line only. Thread-safe: stateless (rotations are serialised by {@link
 * OwnerOnlyFiles#update}).
 */
public final class SecretFile {
  /** One version read from the file. */
  public record Version(int version, byte[] secret) {}

  private SecretFile() {}

  /**
   * Reads {@code file}, first creating it with one random version of {@code bytes} bytes if it does
   * not exist.
   *
   * @param what what the file holds, for messages (e.g. {@code "pepper"})
   */
  public static List<Version> loadOrCreate(Path file, String what, int bytes, SecureRandom random) {
    try {
      if (OwnerOnlyFiles.createFile(file)) {
        Files.writeString(file, line(1, bytes, random), StandardCharsets.US_ASCII);
      }
      return load(file, what);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + what + " file " + file, e);
    }
  }

  /** Reads an existing file; {@code IllegalStateException} naming the problem. */
  public static List<Version> load(Path file, String what) throws IOException {
    OwnerOnlyFiles.requireOwnerOnly(file, what);
    return parse(file, what, Files.readString(file, StandardCharsets.US_ASCII));
  }

  private static List<Version> parse(Path file, String what, String text) {
    List<Version> out = new ArrayList<>();
    int n = 0;
    for (String raw : text.split("\n", -1)) {
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
    OwnerOnlyFiles.requireOwnerOnly(file, what);
    int[] added = new int[1];
    OwnerOnlyFiles.update(
        file,
        text -> {
          if (text == null) {
            throw new IllegalStateException("no " + what + " file at " + file);
          }
          added[0] =
              parse(file, what, text).stream().mapToInt(Version::version).max().orElse(0) + 1;
          return (text.isEmpty() || text.endsWith("\n") ? text : text + "\n")
              + line(added[0], bytes, random);
        });
    return added[0];
  }

  /**
   * Removes version {@code version} (atomically, like {@link #addVersion}). Values made under it
   * stop verifying or opening once the readers reload the file.
   *
   * @throws IllegalArgumentException the file has no such version, or it is the highest one (the
   *     current version cannot be retired)
   */
  public static void removeVersion(Path file, String what, int version) throws IOException {
    OwnerOnlyFiles.requireOwnerOnly(file, what);
    OwnerOnlyFiles.update(
        file,
        text -> {
          List<Version> versions = parse(file, what, text == null ? "" : text);
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
          for (String raw : text.split("\n")) {
            if (!raw.strip().startsWith(prefix)) {
              kept.append(raw).append('\n');
            }
          }
          return kept.toString();
        });
  }

  private static String line(int version, int bytes, SecureRandom random) {
    byte[] secret = new byte[bytes];
    random.nextBytes(secret);
    return "v" + version + ":" + Base64.getEncoder().encodeToString(secret) + "\n";
  }
}
