package io.keygate.server.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the {@code rotate-*} commands share for a versioned secret file (pepper, audit key, data
 * key): finding the file, adding a version, refusing a retirement the file cannot take or that
 * something still depends on, and the versions a status lists. Every refusal is one line on the
 * error stream naming the secret and versions, never key material.
 *
 * @param name the secret in messages, e.g. {@code "pepper"}
 * @param fileName the file in messages, e.g. {@code "pepper file"}
 * @param envVar the variable that gives the secret directly, e.g. {@code "KEYGATE_PEPPER"} (the
 *     file's variable is it plus {@code _FILE})
 * @param fileOption the command's option naming the file, e.g. {@code "--pepper-file"}
 */
record SecretFileRotation(String name, String fileName, String envVar, String fileOption) {

  /** Adds a version to a secret file. */
  @FunctionalInterface
  interface Addition {
    /** Returns the number of the version added. */
    int add(Path file, SecureRandom random) throws IOException;
  }

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

  /** Adds a version to {@code file} and prints it; returns its number. */
  int add(PrintWriter out, Path file, Addition addition) throws IOException {
    int added = addition.add(file, new SecureRandom());
    out.println("added " + name + " v" + added + " to " + file);
    return added;
  }

  /**
   * Retires {@code version} unless {@code using} (&gt; 0) things still depend on it and {@code
   * force} is not set; prints the outcome. Returns the exit code: 0 retired, 1 refused.
   *
   * @param inUse the refusal after the count, e.g. {@code " key(s) ... are hashed under it"}
   * @param forcedNote what is printed after a forced retirement, after the count, or {@code null}
   *     for nothing
   */
  int retireUnused(
      PrintWriter out,
      PrintWriter err,
      Path file,
      int version,
      long using,
      boolean force,
      String inUse,
      String forcedNote,
      Retirement retirement)
      throws IOException {
    if (using > 0 && !force) {
      err.println("refusing to retire " + name + " v" + version + ": " + using + inUse);
      return 1;
    }
    if (!retire(err, file, version, retirement)) {
      return 1;
    }
    out.println(
        "retired "
            + name
            + " v"
            + version
            + " from "
            + file
            + (using > 0 && forcedNote != null ? "; " + using + forcedNote : "")
            + "; running servers drop it at their next reload");
    return 0;
  }

  /** The versions a status lists: those in the file and those something is still under. */
  static SortedSet<Integer> shown(List<Integer> inFile, Collection<Integer> inUse) {
    TreeSet<Integer> shown = new TreeSet<>(inFile);
    shown.addAll(inUse);
    return shown;
  }
}
