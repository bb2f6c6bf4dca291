package io.keygate.server.cli;

import io.keygate.server.config.AuditKeyFile;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keygate rotate-audit-key}: adds an audit key version. Running servers reading the same
 * file reload it on change and link new audit events under it; events linked under older versions
 * keep verifying, so old versions are never retired (a leaked old version cannot rewrite anything
 * after the rotation: the first event under the new version seals the old chain's end). Exit codes:
 * 0 done, 1 refused, 2 usage error.
 */
@Command(
    name = "rotate-audit-key",
    mixinStandardHelpOptions = true,
    description = {
      "Add a new audit key version to the audit key file (atomic write, 0600, old versions kept).",
      "Distribute the file to every node; each picks it up within KEYGATE_SECRETS_RELOAD_SECONDS"
          + " (default 5 s) and links new audit events under it."
    })
final class RotateAuditKeyCommand extends SecretFileCommand {
  private static final SecretFileRotation AUDIT_KEY =
      new SecretFileRotation(
          "audit key", "audit key file", "KEYGATE_AUDIT_KEY", "--audit-key-file");

  @Option(
      names = "--audit-key-file",
      paramLabel = "FILE",
      description = "Audit key file (default: $KEYGATE_AUDIT_KEY_FILE or <data dir>/audit-key).")
  Path auditKeyFile;

  @Override
  SecretFileRotation rotation() {
    return AUDIT_KEY;
  }

  @Override
  Path namedFile() {
    return auditKeyFile;
  }

  @Override
  Source source(Map<String, String> env, ServerConfig cfg) {
    SecretsConfig secrets = SecretsConfig.fromEnv(env);
    return new Source(secrets.auditKeyEnv() != null, secrets.effectiveAuditKeyFile(cfg.dataDir()));
  }

  @Override
  int rotate(Installation in, Path file) throws IOException {
    int added = AUDIT_KEY.add(in.out(), file, AuditKeyFile::addVersion);
    in.out()
        .println(
            "copy this file to every node; each links new audit events under v"
                + added
                + " within KEYGATE_SECRETS_RELOAD_SECONDS (default 5 s). Keep every older version:"
                + " events linked under it verify with it. Until a node has reloaded, its changes"
                + " are answered 503 audit_key_unavailable (retry)");
    return 0;
  }
}
