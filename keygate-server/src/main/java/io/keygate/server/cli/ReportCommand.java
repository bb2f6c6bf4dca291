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
 * {@code keygate report}: prints the API Key Security Implementation Report.
 *
 * <p>With {@code --url} (or {@code KEYGATE_URL}) and {@code KEYGATE_TOKEN} it prints the server's
 * own report ({@code GET /v1/report}): the statuses come from the server's effective settings, so
 * the CLI and the server always agree. Without a URL it reads the store directly (no running server
 * needed) and takes the settings from this shell's environment, which may differ from the server's;
 * it says so on standard error.
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

  @Option(
      names = "--url",
      paramLabel = "URL",
      description =
          "Ask this Keygate server for its report (default: $KEYGATE_URL; the admin token comes"
              + " from $KEYGATE_TOKEN). Without a URL the report is computed from the data"
              + " directory with this shell's settings.")
  String url;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (!List.of("md", "json", "html").contains(format)) {
      spec.commandLine().getErr().println("error: --format must be md, json or html");
      return 2;
    }
    Map<String, String> env = KeygateCli.env(spec);
    String server = url != null ? url : env.get("KEYGATE_URL");
    if (server != null && !server.isBlank()) {
      String report =
          new ApiClient(server, env.get("KEYGATE_TOKEN")).getText("/v1/report?format=" + format);
      spec.commandLine().getOut().print(report);
      spec.commandLine().getOut().flush();
      return 0;
    }
    spec.commandLine()
        .getErr()
        .println(
            "note: computed from the data directory with this shell's settings; use --url (or"
                + " KEYGATE_URL) to print the running server's own report");
    spec.commandLine().getErr().flush();
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
