package io.keygate.server.cli;

import io.keygate.core.notify.DataCipher;
import io.keygate.core.notify.DataKey;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.store.KeyStore;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.DataKeyFile;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.notify.ChannelReseal;
import io.keygate.store.jdbc.JdbcExtensions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
final class RotateDataKeyCommand implements Callable<Integer> {
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

  @Mixin StorageOptions storage = new StorageOptions();

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    int actions = (status ? 1 : 0) + (reseal ? 1 : 0) + (retire != null ? 1 : 0);
    if (actions > 1 || force && retire == null || batch < 1) {
      err.println("usage: one of --status, --reseal, --retire N [--force]; --batch must be >= 1");
      return 2;
    }
    Map<String, String> env = KeygateCli.env(spec);
    ServerConfig cfg = storage.existing(ServerConfig.fromEnv(env));
    NotifyConfig notify = NotifyConfig.fromEnv(env);
    Path file =
        DATA_KEY.file(
            err,
            dataKeyFile,
            notify.dataKeyEnv() != null,
            notify.effectiveDataKeyFile(cfg.dataDir()));
    if (file == null) {
      return 1;
    }
    if (actions == 0) {
      int current = DataKeyFile.load(file).stream().mapToInt(DataKey::version).max().orElse(0);
      int added = DataKeyFile.addVersion(file, new SecureRandom());
      out.println("added data key v" + added + " to " + file);
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
    try (KeyStore store =
        KeygateServer.openStore(cfg, SecretsConfig.fromEnv(KeygateCli.env(spec)))) {
      NotifyStore notifyStore =
          JdbcExtensions.notifyStore(store)
              .orElseThrow(() -> new IllegalStateException("the store is not a JDBC store"));
      ChannelReseal walk = new ChannelReseal(notifyStore, cipher);
      if (reseal) {
        return reseal(walk, cipher, out, err);
      }
      Map<Integer, Long> counts = walk.countByVersion();
      if (status) {
        printStatus(out, file, cipher, counts);
        return 0;
      }
      long using = counts.getOrDefault(retire, 0L);
      if (using > 0 && !force) {
        err.println(
            "refusing to retire data key v"
                + retire
                + ": "
                + using
                + " owner row(s) are sealed under it; run keygate rotate-data-key --reseal"
                + " first, or pass --force (their channels will stop opening: no webhook or email"
                + " reaches those owners)");
        return 1;
      }
    }
    if (!DATA_KEY.retire(err, file, retire, DataKeyFile::retire)) {
      return 1;
    }
    out.println(
        "retired data key v"
            + retire
            + " from "
            + file
            + "; running servers drop it at their"
            + " next reload");
    return 0;
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
    TreeSet<Integer> shown = new TreeSet<>(versions);
    shown.addAll(counts.keySet());
    for (int v : shown) {
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
