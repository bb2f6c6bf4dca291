package io.keygate.server.cli;

import io.keygate.core.store.KeyStore;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The one start of a command that works on an existing installation ({@code audit verify}, {@code
 * rotate-pepper}, ...): refuse options that do not go together (exit 2), then read the
 * configuration through {@link StorageOptions#existing}, which refuses a data directory that does
 * not exist, and hand over to {@link #run}. Not thread-safe: picocli runs one command once.
 */
abstract class InstallationCommand implements Callable<Integer> {
  @Mixin StorageOptions storage = new StorageOptions();

  @Spec CommandSpec spec;

  /** What one run works with: its streams, its environment and the installation's configuration. */
  record Installation(PrintWriter out, PrintWriter err, Map<String, String> env, ServerConfig cfg) {

    /** Opens the installation's store with its secrets as configured (the caller closes it). */
    KeyStore openStore() {
      return KeygateServer.openStore(cfg, SecretsConfig.fromEnv(env));
    }
  }

  /** The usage error of the options given, or {@code null} when they go together. */
  String usageError() {
    return null;
  }

  /** The command's work; returns the exit code. */
  abstract int run(Installation in) throws IOException;

  @Override
  public final Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    String usage = usageError();
    if (usage != null) {
      err.println(usage);
      return 2;
    }
    Map<String, String> env = KeygateCli.env(spec);
    ServerConfig cfg = storage.existing(ServerConfig.fromEnv(env));
    return run(new Installation(spec.commandLine().getOut(), err, env, cfg));
  }
}
