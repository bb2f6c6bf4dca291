package io.keygate.server.config;

import io.keygate.core.key.Pepper;
import java.io.IOException;
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
 * The pepper file: one line per version, {@code v<N>:<base64 secret>}; the highest version mints.
 * Generated with 32 random bytes and owner-only permissions (0600) when absent.
 *
 * <p><b>Security guarantees.</b> Refuses to read a file that group or others may read, so a pepper
 * never sits world-readable. Never prints secret material.
 */
public final class PepperFile {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private PepperFile() {}

  /** Loads the peppers from {@code file}, generating version 1 if the file does not exist. */
  public static List<Pepper> loadOrCreate(Path file, SecureRandom random) {
    try {
      if (!Files.exists(file)) {
        create(file, random);
      }
      return load(file);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read or create pepper file " + file + ": " + e, e);
    }
  }

  private static void create(Path file, SecureRandom random) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String line = "v1:" + Base64.getEncoder().encodeToString(secret) + "\n";
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (FileAlreadyExistsException e) {
      return; // another process created it first; use theirs
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(file, line, StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
  }

  /** Loads an existing pepper file. */
  public static List<Pepper> load(Path file) throws IOException {
    requireOwnerOnly(file);
    List<Pepper> out = new ArrayList<>();
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
        int version = Integer.parseInt(line.substring(1, colon));
        out.add(new Pepper(version, Base64.getDecoder().decode(line.substring(colon + 1))));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(file + " line " + n + ": " + e.getMessage());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(file + " holds no pepper version");
    }
    return out;
  }

  /** Appends a new, higher version (pepper rotation) and returns its number. */
  public static int addVersion(Path file, SecureRandom random) throws IOException {
    int next = load(file).stream().mapToInt(Pepper::version).max().orElse(0) + 1;
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    Files.writeString(
        file,
        "v" + next + ":" + Base64.getEncoder().encodeToString(secret) + "\n",
        StandardCharsets.US_ASCII,
        StandardOpenOption.APPEND);
    return next;
  }

  private static void requireOwnerOnly(Path file) throws IOException {
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return;
    }
    for (PosixFilePermission p : perms) {
      if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
        throw new IllegalStateException(
            "refusing to use pepper file "
                + file
                + ": it is accessible by group or others ("
                + PosixFilePermissions.toString(perms)
                + "); run: chmod 600 "
                + file);
      }
    }
  }

  /** Parses a pepper given directly as base64 (version 1). */
  public static Pepper fromBase64(String b64) {
    try {
      return new Pepper(1, Base64.getDecoder().decode(b64.strip()));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("KEYGATE_PEPPER must be base64 of at least 32 bytes");
    }
  }
}
