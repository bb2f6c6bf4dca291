package io.keygate.server.cli;

import io.keygate.core.key.Pepper;
import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.store.KeyStore;
import io.keygate.server.config.PepperFile;
import io.keygate.server.config.ServerConfig;
import io.keygate.store.jdbc.JdbcExtensions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keygate rotate-pepper}: adds a pepper version ({@code --status}: keys per version; {@code
 * --retire N}: removes an old version once no key that can still verify uses it).
 *
 * <p>Running servers reading the same pepper file reload it on change ({@code
 * KEYGATE_SECRETS_RELOAD_SECONDS}); from then on new and rotated keys are hashed under the newest
 * version and keys under older versions are re-hashed on their next successful verify. Exit codes:
 * 0 done, 1 refused or failed, 2 usage error.
 */
@Command(
    name = "rotate-pepper",
    mixinStandardHelpOptions = true,
    description = {
      "Add a new pepper version to the pepper file (atomic write, 0600, old versions kept).",
      "Running servers pick it up within KEYGATE_SECRETS_RELOAD_SECONDS (default 5 s): new keys"
          + " are hashed under it, older keys move to it on their next successful verify."
    })
final class RotatePepperCommand extends SecretFileCommand {
  private static final SecretFileRotation PEPPER =
      new SecretFileRotation("pepper", "pepper file", "KEYGATE_PEPPER", "--pepper-file");

  @Option(names = "--status", description = "Show keys per pepper version; change nothing.")
  boolean status;

  @Option(
      names = "--retire",
      paramLabel = "VERSION",
      description = "Remove an older version; refused while keys that can still verify use it.")
  Integer retire;

  @Option(
      names = "--force",
      description = "With --retire: remove it anyway; keys still under it stop verifying.")
  boolean force;

  @Option(
      names = "--pepper-file",
      paramLabel = "FILE",
      description = "Pepper file (default: $KEYGATE_PEPPER_FILE or <data dir>/pepper).")
  Path pepperFile;

  @Override
  SecretFileRotation rotation() {
    return PEPPER;
  }

  @Override
  Path namedFile() {
    return pepperFile;
  }

  @Override
  Source source(Map<String, String> env, ServerConfig cfg) {
    return new Source(cfg.pepperEnv() != null, cfg.effectivePepperFile());
  }

  @Override
  String usageError() {
    return force && retire == null || status && retire != null
        ? "usage: --force goes with --retire, and --status stands alone"
        : null;
  }

  @Override
  int rotate(Installation in, Path file) throws IOException {
    PrintWriter out = in.out();
    List<Integer> versions = PepperFile.load(file).stream().map(Pepper::version).sorted().toList();
    int current = versions.get(versions.size() - 1);
    if (!status && retire == null) {
      int added = PEPPER.add(out, file, PepperFile::addVersion);
      out.println(
          "running servers reading this file hash new keys under v"
              + added
              + " within KEYGATE_SECRETS_RELOAD_SECONDS (default 5 s); keys under v"
              + current
              + " and older keep verifying and move to v"
              + added
              + " on their next successful verify");
      out.println("follow with: keygate rotate-pepper --status");
      return 0;
    }
    if (retire != null && PEPPER.refuseRetire(in.err(), retire, current, versions)) {
      return 1;
    }
    Map<Integer, Long> live;
    Map<Integer, Long> all;
    try (KeyStore store = in.openStore()) {
      MonitorStore m = jdbcPart(JdbcExtensions.monitorStore(store));
      Instant now = Instant.now();
      live = m.keysByPepperVersion(now, true);
      all = m.keysByPepperVersion(now, false);
    }
    if (status) {
      printStatus(out, file, versions, current, live, all);
      return 0;
    }
    return PEPPER.retireUnused(
        out,
        in.err(),
        file,
        retire,
        live.getOrDefault(retire, 0L),
        force,
        " key(s) that can still verify are hashed under it. They move to v"
            + current
            + " on their next successful verify; rotate or revoke the others, or pass --force"
            + " (those keys will stop verifying).",
        " key(s) under it stop verifying",
        PepperFile::retire);
  }

  private static void printStatus(
      PrintWriter out,
      Path file,
      List<Integer> versions,
      int current,
      Map<Integer, Long> live,
      Map<Integer, Long> all) {
    out.println(
        "pepper file " + file + ": versions " + versions + ", v" + current + " hashes new keys");
    for (int v : SecretFileRotation.shown(versions, all.keySet())) {
      long l = live.getOrDefault(v, 0L);
      long other = all.getOrDefault(v, 0L) - l;
      String note;
      if (!versions.contains(v)) {
        note = "NOT in the pepper file: these keys cannot verify";
      } else if (v == current) {
        note = "current";
      } else if (l == 0) {
        note = "can be retired: keygate rotate-pepper --retire " + v;
      } else {
        note = "in use; these keys move to v" + current + " on their next successful verify";
      }
      out.println(
          "v" + v + ": " + l + " live, " + other + " revoked, expired or imported (" + note + ")");
    }
  }
}
