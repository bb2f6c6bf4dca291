package io.keygate.server.cli;

import io.keygate.server.config.ServerConfig;
import java.nio.file.Path;
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

  /** The environment's configuration with these options applied. */
  ServerConfig apply(ServerConfig base) {
    return base.withStorage(
        dataDir != null ? dataDir : base.dataDir(),
        databaseUrl != null ? databaseUrl : base.databaseUrl());
  }
}
