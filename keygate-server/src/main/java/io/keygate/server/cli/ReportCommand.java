package io.keygate.server.cli;

import io.keygate.core.key.KeyTypes;
import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.monitor.RecordedSettings;
import io.keygate.core.store.KeyStore;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.SecretsConfig;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.report.SecurityReport;
import io.keygate.store.jdbc.JdbcExtensions;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keygate report}: prints the API Key Security Implementation Report.
 *
 * <p>The CLI report is the server's report. With {@code --url} (or {@code KEYGATE_URL}) and {@code
 * KEYGATE_TOKEN} it prints the server's own report ({@code GET /v1/report}). Without a URL it reads
 * the store directly (no running server needed) with the settings the server recorded in the
 * database at startup ({@link SecurityReport.Inputs}, {@link MonitorStore#reportSettings}), never
 * this shell's {@code KEYGATE_*} settings, so both give the same verdicts and figures; it names the
 * node and time of the record on standard error. When no server ever recorded its settings there,
 * it says so and uses the default settings. The shell's environment only locates the store.
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
              + " directory with the settings the server recorded there.")
  String url;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    if (!List.of("md", "json", "html").contains(format)) {
      err.println("error: --format must be md, json or html");
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
    ServerConfig cfg = storage.existing(ServerConfig.fromEnv(env));
    try (KeyStore store = KeygateServer.openStore(cfg, SecretsConfig.fromEnv(env))) {
      MonitorStore monitor =
          JdbcExtensions.monitorStore(store)
              .orElseThrow(() -> new IllegalStateException("the report needs a JDBC store"));
      Optional<RecordedSettings> recorded = monitor.reportSettings();
      SecurityReport.Inputs in;
      if (recorded.isPresent()) {
        try {
          in = SecurityReport.Inputs.fromJson(recorded.get().settings());
        } catch (IllegalArgumentException e) {
          err.println(
              "error: the report settings recorded by "
                  + recorded.get().node()
                  + " at "
                  + recorded.get().recordedAt()
                  + " cannot be read by this version; use --url (or KEYGATE_URL) to print the"
                  + " running server's own report");
          return 1;
        }
        err.println(
            "note: computed from the data directory with the settings recorded by "
                + recorded.get().node()
                + " at "
                + recorded.get().recordedAt()
                + " (this shell's KEYGATE_* settings are not used)");
      } else {
        in = defaults();
        err.println(
            "note: no server has recorded its settings in this database (none started on it"
                + " since this version); computed with the DEFAULT settings, which may differ"
                + " from the server's. Start the server once, or use --url (or KEYGATE_URL)");
      }
      err.flush();
      spec.commandLine()
          .getOut()
          .print(
              SecurityReport.render(
                  SecurityReport.compute(in, monitor, Clock.systemUTC().instant()), format));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /** The inputs of a server started with no settings at all (pepper versions unknown). */
  private static SecurityReport.Inputs defaults() {
    ServerConfig server = ServerConfig.defaults();
    NotifyConfig notify = NotifyConfig.defaults();
    return SecurityReport.Inputs.of(
        notify.platformName(),
        KeyTypes.defaults(),
        server.policy(),
        List.of(),
        server.cacheSize(),
        server.cacheTtl(),
        notify.expiryNoticeDays(),
        LeakConfig.defaults());
  }
}
