package io.keygate.server.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the {@code rotate-*} commands share for a versioned secret file (pepper, audit key, data
 * key): finding the file, and refusing a retirement the file cannot take. Every refusal is one line
 * on the error stream naming the secret and versions, never key material.
 *
 * @param name the secret in messages, e.g. {@code "pepper"}
 * @param fileName the file in messages, e.g. {@code "pepper file"}
 * @param envVar the variable that gives the secret directly, e.g. {@code "KEYGATE_PEPPER"} (the
 *     file's variable is it plus {@code _FILE})
 * @param fileOption the command's option naming the file, e.g. {@code "--pepper-file"}
 */
record SecretFileRotation(String name, String fileName, String envVar, String fileOption) {

  /** Removes a version from a secret file. */
  @FunctionalInterface
  interface Retirement {
    /**
     * @throws IllegalArgumentException the file refuses (e.g. it would be left without a version)
     */
    void retire(Path file, int version) throws IOException;
  }

  /**
   * The file to rotate: {@code named} if given, else {@code defaultFile}; or null, with the reason
   * printed, when the secret is given directly in the environment or the file does not exist.
   *
   * @param givenInEnv whether {@link #envVar} holds the secret itself
   */
  Path file(PrintWriter err, Path named, boolean givenInEnv, Path defaultFile) {
    if (named == null && givenInEnv) {
      err.println(
          envVar
              + " gives the "
              + name
              + " directly; rotation needs "
              + (fileName.matches("[aeiou].*") ? "an " : "a ")
              + fileName
              + " ("
              + envVar
              + "_FILE or "
              + fileOption
              + ")");
      return null;
    }
    Path file = named != null ? named : defaultFile;
    if (!Files.exists(file)) {
      err.println("no " + fileName + " at " + file + " (start the server once, or name it)");
      return null;
    }
    return file;
  }

  /**
   * Whether retiring {@code version} must be refused before anything else is looked at (it is the
   * current version, or the file does not hold it); the reason is printed.
   */
  boolean refuseRetire(PrintWriter err, int version, int current, List<Integer> versions) {
    if (version != current && versions.contains(version)) {
      return false;
    }
    err.println(
        "refusing to retire "
            + name
            + " v"
            + version
            + ": "
            + (version == current
                ? "it is the current version; add a newer one first"
                : "the " + fileName + " has no such version " + versions));
    return true;
  }

  /**
   * Retires {@code version} from {@code file}; false, with the reason printed, if the file refuses.
   */
  boolean retire(PrintWriter err, Path file, int version, Retirement retirement)
      throws IOException {
    try {
      retirement.retire(file, version);
      return true;
    } catch (IllegalArgumentException e) {
      err.println("refusing to retire " + name + " v" + version + ": " + e.getMessage());
      return false;
    }
  }
}
