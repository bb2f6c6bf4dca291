package io.keygate.server.cli;

import io.keygate.core.key.KeyTypes;
import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.store.KeyStore;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.report.SecurityReport;
import io.keygate.store.jdbc.JdbcExtensions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code keygate report}: prints the API Key Security Implementation Report, reading the store
 * directly (no running server needed) and the configuration from the environment.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = "Print the API Key Security Implementation Report (md, json or html).")
final class ReportCommand implements Callable<Integer> {
  @Option(
      names = "--format",
      paramLabel = "md|json|html",
      description = "Output format (default: md).")
  String format = "md";

  @Mixin StorageOptions storage = new StorageOptions();

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (!List.of("md", "json", "html").contains(format)) {
      spec.commandLine().getErr().println("error: --format must be md, json or html");
      return 2;
    }
    Map<String, String> env = KeygateCli.env(spec);
    ServerConfig cfg = storage.existing(ServerConfig.fromEnv(env));
    NotifyConfig notify = NotifyConfig.fromEnv(env);
    try (KeyStore store =
        KeygateServer.openStore(cfg, SecretsConfig.fromEnv(KeygateCli.env(spec)))) {
      MonitorStore monitor =
          JdbcExtensions.monitorStore(store)
              .orElseThrow(() -> new IllegalStateException("the report needs a JDBC store"));
      SecurityReport.Inputs in =
          new SecurityReport.Inputs(
              notify.platformName(),
              KeyTypes.defaults(),
              cfg.policy(),
              List.of(),
              cfg.cacheSize(),
              cfg.cacheTtl(),
              notify.expiryNoticeDays(),
              LeakConfig.fromEnv(env));
      spec.commandLine()
          .getOut()
          .print(
              SecurityReport.render(
                  SecurityReport.compute(in, monitor, Clock.systemUTC().instant()), format));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
