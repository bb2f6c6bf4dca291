package io.keygate.server.cli;

import io.keygate.core.notify.DataCipher;
import io.keygate.core.notify.DataKey;
import io.keygate.core.store.KeyStore;
import io.keygate.server.config.DataKeyFile;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.notify.ChannelReseal;
import io.keygate.store.jdbc.JdbcExtensions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keygate rotate-data-key}: adds a data-key version ({@code --reseal}: re-seals owner
 * channels under the newest version; {@code --status}: owners per version; {@code --retire N}:
 * removes an old version once no owner row is sealed under it).
 *
 * <p>Running servers reading the same data-key file reload it on change ({@code
 * KEYGATE_SECRETS_RELOAD_SECONDS}) and seal new and updated channels under the newest version. Run
 * {@code --reseal} after every node has reloaded: a node that does not know the new version yet
 * cannot open a re-sealed row, and retries its delivery later. Exit codes: 0 done, 1 refused or
 * failed, 2 usage error.
 */
@Command(
    name = "rotate-data-key",
    mixinStandardHelpOptions = true,
    description = {
      "Add a new data-key version (atomic write, 0600, old versions kept). Running servers seal"
          + " new and updated owner channels under it within KEYGATE_SECRETS_RELOAD_SECONDS.",
      "Then --reseal re-seals existing rows in batches (safe to interrupt and run again),"
          + " --status shows what is left, --retire removes the old version."
    })
final class RotateDataKeyCommand extends SecretFileCommand {
  private static final SecretFileRotation DATA_KEY =
      new SecretFileRotation("data key", "data-key file", "KEYGATE_DATA_KEY", "--data-key-file");

  @Option(names = "--status", description = "Show owners per data-key version; change nothing.")
  boolean status;

  @Option(
      names = "--reseal",
      description = "Re-seal owner channels still under an older version (no new version added).")
  boolean reseal;

  @Option(
      names = "--batch",
      paramLabel = "N",
      description = "Owners per batch with --reseal (default: 200).")
  int batch = ChannelReseal.DEFAULT_BATCH;

  @Option(
      names = "--retire",
      paramLabel = "VERSION",
      description = "Remove an older version; refused while owner rows are sealed under it.")
  Integer retire;

  @Option(
      names = "--force",
      description = "With --retire: remove it anyway; rows under it stop opening.")
  boolean force;

  @Option(
      names = "--data-key-file",
      paramLabel = "FILE",
      description = "Data-key file (default: $KEYGATE_DATA_KEY_FILE or <data dir>/data-key).")
  Path dataKeyFile;

  @Override
  SecretFileRotation rotation() {
    return DATA_KEY;
  }

  @Override
  Path namedFile() {
    return dataKeyFile;
  }

  @Override
  Source source(Map<String, String> env, ServerConfig cfg) {
    NotifyConfig notify = NotifyConfig.fromEnv(env);
    return new Source(notify.dataKeyEnv() != null, notify.effectiveDataKeyFile(cfg.dataDir()));
  }

  @Override
  String usageError() {
    int actions = (status ? 1 : 0) + (reseal ? 1 : 0) + (retire != null ? 1 : 0);
    return actions > 1 || force && retire == null || batch < 1
        ? "usage: one of --status, --reseal, --retire N [--force]; --batch must be >= 1"
        : null;
  }

  @Override
  int rotate(Installation in, Path file) throws IOException {
    PrintWriter out = in.out();
    PrintWriter err = in.err();
    if (!status && !reseal && retire == null) {
      int current = DataKeyFile.load(file).stream().mapToInt(DataKey::version).max().orElse(0);
      int added = DATA_KEY.add(out, file, DataKeyFile::addVersion);
      out.println(
          "running servers reading this file seal new and updated owner channels under v"
              + added
              + " within KEYGATE_SECRETS_RELOAD_SECONDS (default 5 s); rows under v"
              + current
              + " and older keep opening");
      out.println(
          "once every node has reloaded: keygate rotate-data-key --reseal, then --status and"
              + " --retire "
              + current);
      return 0;
    }
    DataCipher cipher = new DataCipher(DataKeyFile.load(file), SecureRandom::new);
    if (retire != null
        && DATA_KEY.refuseRetire(err, retire, cipher.currentVersion(), cipher.versions())) {
      return 1;
    }
    Map<Integer, Long> counts;
    try (KeyStore store = in.openStore()) {
      ChannelReseal walk = new ChannelReseal(jdbcPart(JdbcExtensions.notifyStore(store)), cipher);
      if (reseal) {
        return reseal(walk, cipher, out, err);
      }
      counts = walk.countByVersion();
    }
    if (status) {
      printStatus(out, file, cipher, counts);
      return 0;
    }
    return DATA_KEY.retireUnused(
        out,
        err,
        file,
        retire,
        counts.getOrDefault(retire, 0L),
        force,
        " owner row(s) are sealed under it; run keygate rotate-data-key --reseal"
            + " first, or pass --force (their channels will stop opening: no webhook or email"
            + " reaches those owners)",
        null,
        DataKeyFile::retire);
  }

  private int reseal(ChannelReseal walk, DataCipher cipher, PrintWriter out, PrintWriter err) {
    out.println("re-sealing owner channels under data key v" + cipher.currentVersion());
    out.flush();
    ChannelReseal.Progress p =
        walk.run(
            batch,
            q -> {
              out.println(
                  "  "
                      + q.scanned()
                      + " owners scanned, "
                      + q.resealed()
                      + " re-sealed, "
                      + q.changedMeanwhile()
                      + " changed meanwhile, "
                      + q.failed()
                      + " failed");
              out.flush();
            });
    out.println(
        "done: "
            + p.scanned()
            + " owners scanned, "
            + p.resealed()
            + " re-sealed, "
            + p.changedMeanwhile()
            + " changed meanwhile, "
            + p.failed()
            + " failed");
    if (p.failed() > 0 || p.changedMeanwhile() > 0) {
      err.println(
          "some rows were not re-sealed (see above); run --reseal again, and check --status");
      return 1;
    }
    return 0;
  }

  private static void printStatus(
      PrintWriter out, Path file, DataCipher cipher, Map<Integer, Long> counts) {
    List<Integer> versions = cipher.versions();
    int current = cipher.currentVersion();
    out.println("data-key file " + file + ": versions " + versions + ", v" + current + " seals");
    for (int v : SecretFileRotation.shown(versions, counts.keySet())) {
      long n = counts.getOrDefault(v, 0L);
      String note;
      if (v < 0) {
        note = "not sealed values";
      } else if (!versions.contains(v)) {
        note = "NOT in the data-key file: these rows cannot be opened";
      } else if (v == current) {
        note = "current";
      } else if (n == 0) {
        note = "can be retired: keygate rotate-data-key --retire " + v;
      } else {
        note = "in use; keygate rotate-data-key --reseal moves them to v" + current;
      }
      out.println("v" + v + ": " + n + " owners (" + note + ")");
    }
  }
}
