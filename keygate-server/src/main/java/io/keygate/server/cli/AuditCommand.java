package io.keygate.server.cli;

import io.keygate.core.audit.AuditChain;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.store.KeyStore;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.ServerConfig;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code keygate audit verify}: checks the audit log's hash chain end to end. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Audit log tools.",
    subcommands = {AuditCommand.Verify.class})
final class AuditCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Walks the whole chain; exit 0 when intact, 1 at the first broken link. */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = "Verify the audit log hash chain (exit 1 if anything was altered or removed).")
  static final class Verify implements Callable<Integer> {
    private static final int BATCH = 1000;

    @Mixin StorageOptions storage = new StorageOptions();

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      ServerConfig cfg = storage.apply(ServerConfig.fromEnv(KeygateCli.env(spec)));
      try (KeyStore store = KeygateServer.openStore(cfg)) {
        long seq = 0;
        String prev = AuditChain.GENESIS;
        while (true) {
          List<AuditEvent> batch = store.auditAfter(seq, BATCH);
          if (batch.isEmpty()) {
            break;
          }
          String broken = AuditChain.firstBreak(batch, seq + 1, prev);
          if (broken != null) {
            spec.commandLine().getErr().println("audit chain BROKEN at " + broken);
            return 1;
          }
          AuditEvent last = batch.get(batch.size() - 1);
          seq = last.seq();
          prev = last.hash();
        }
        spec.commandLine().getOut().println("audit chain intact: " + seq + " events verified");
        return 0;
      }
    }
  }
}
