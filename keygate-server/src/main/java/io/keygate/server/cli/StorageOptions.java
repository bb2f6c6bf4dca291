package io.keygate.server.cli;

import io.keygate.server.config.ServerConfig;
import io.keygate.server.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options naming the store, shared by commands that open it directly. */
final class StorageOptions {
  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "Embedded data directory (default: $KEYGATE_DATA_DIR or ./keygate-data).")
  Path dataDir;

  @Option(
      names = "--database-url",
      paramLabel = "URL",
      description = "Database URL (default: $KEYGATE_DATABASE_URL, else SQLite in the data dir).")
  String databaseUrl;

  /** Puts the options that were given into {@code env}, over the variables they override. */
  void overlay(Map<String, String> env) {
    Settings.DATA_DIR.overlay(env, dataDir);
    Settings.DATABASE_URL.overlay(env, databaseUrl);
  }

  /** The environment's configuration with these options applied ({@code serve}: may create it). */
  ServerConfig apply(ServerConfig base) {
    return base.withStorage(
        dataDir != null ? dataDir : base.dataDir(),
        databaseUrl != null ? databaseUrl : base.databaseUrl());
  }

  /**
   * {@link #apply}, for a command that works on an existing installation: refuses a data directory
   * that does not exist, instead of quietly creating an empty one with a fresh database and fresh
   * secrets (a typo in {@code --data-dir} would otherwise mint a token no server accepts).
   *
   * @throws IllegalStateException naming the directory and what to do
   */
  ServerConfig existing(ServerConfig base) {
    ServerConfig cfg = apply(base);
    if (!Files.isDirectory(cfg.dataDir())) {
      throw new IllegalStateException(
          "no Keygate data directory at "
              + cfg.dataDir().toAbsolutePath()
              + "; nothing was opened or created. Point --data-dir (or KEYGATE_DATA_DIR) at the"
              + " server's data directory, or start the server once with `keygate serve`, which"
              + " creates it.");
    }
    return cfg;
  }
}
