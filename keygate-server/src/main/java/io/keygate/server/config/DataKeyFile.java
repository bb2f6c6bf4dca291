package io.keygate.server.config;

import io.keygate.core.notify.DataKey;
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
 * The data-encryption key file: one line per version, {@code v<N>:<base64 of 32 bytes>}; the
 * highest version seals, all open (rotate by appending a line). Generated with owner-only
 * permissions (0600) on first start, like the pepper file.
 *
 * <p><b>Security guarantees.</b> Refuses a file that group or others may read. Never prints key
 * material.
 */
public final class DataKeyFile {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private DataKeyFile() {}

  /**
   * The data keys a configuration names: the variable if set, else the file (created if absent).
   */
  public static List<DataKey> load(NotifyConfig config, Path dataDir, SecureRandom random) {
    if (config.dataKeyEnv() != null) {
      return List.of(fromBase64(config.dataKeyEnv()));
    }
    return loadOrCreate(config.effectiveDataKeyFile(dataDir), random);
  }

  /** Parses {@code KEYGATE_DATA_KEY}: base64 of 32 bytes (version 1). */
  public static DataKey fromBase64(String b64) {
    try {
      return new DataKey(1, Base64.getDecoder().decode(b64.strip()));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("KEYGATE_DATA_KEY must be base64 of exactly 32 bytes");
    }
  }

  /** Loads the file, generating version 1 if it does not exist. */
  public static List<DataKey> loadOrCreate(Path file, SecureRandom random) {
    try {
      if (!Files.exists(file)) {
        create(file, random);
      }
      return read(file);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read or create data key file " + file + ": " + e, e);
    }
  }

  private static void create(Path file, SecureRandom random) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    byte[] key = new byte[32];
    random.nextBytes(key);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (FileAlreadyExistsException e) {
      return;
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(
        file,
        "v1:" + Base64.getEncoder().encodeToString(key) + "\n",
        StandardCharsets.US_ASCII,
        StandardOpenOption.WRITE);
  }

  private static List<DataKey> read(Path file) throws IOException {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      for (PosixFilePermission p : perms) {
        if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
          throw new IllegalStateException(
              "refusing to use data key file "
                  + file
                  + ": it is accessible by group or others; run: chmod 600 "
                  + file);
        }
      }
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
    List<DataKey> out = new ArrayList<>();
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
            new DataKey(
                Integer.parseInt(line.substring(1, colon)),
                Base64.getDecoder().decode(line.substring(colon + 1))));
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(file + " line " + n + ": " + e.getMessage());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(file + " holds no data key version");
    }
    return out;
  }
}
