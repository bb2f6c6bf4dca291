package io.keygate.server.cli;

import io.keygate.core.SecretMasker;
import io.keygate.core.key.KeyTypes;
import io.keygate.scan.ScanCommand;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code keygate} command line: {@code serve}, {@code admin}, {@code keys}, {@code audit},
 * {@code report}, {@code rotate-pepper}, {@code rotate-data-key}, {@code rotate-audit-key}, {@code
 * scan}. Exit codes: 0 success, 1 failure reported by the operation, 2 usage error.
 */
@Command(
    name = "keygate",
    mixinStandardHelpOptions = true,
    versionProvider = KeygateCli.Version.class,
    description = "Keygate: issue, verify, rotate, revoke and protect API keys.",
    subcommands = {
      ServeCommand.class,
      AdminCommand.class,
      KeysCommand.class,
      AuditCommand.class,
      ReportCommand.class,
      RotatePepperCommand.class,
      RotateDataKeyCommand.class,
      RotateAuditKeyCommand.class,
      CommandLine.HelpCommand.class
    })
public final class KeygateCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private final Map<String, String> env;

  private KeygateCli(Map<String, String> env) {
    this.env = env;
  }

  /** Entry point of the launcher {@code bin/keygate}. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code (for tests). */
  public static int run(String... args) {
    return run(System.getenv(), null, null, args);
  }

  /**
   * Runs the CLI with an environment and output writers of the caller's choosing (null: the
   * process's own), for in-process tests.
   */
  static int run(Map<String, String> env, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new KeygateCli(env));
    cl.addSubcommand(new ScanCommand(KeyTypes.defaults()));
    if (out != null) {
      cl.setOut(out);
    }
    if (err != null) {
      cl.setErr(err);
    }
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          cmd.getErr().println("error: " + SecretMasker.mask(ex.getMessage()));
          return 1;
        });
    return cl.execute(args);
  }

  /** The environment a command runs in: the process's, unless a test injected another. */
  static Map<String, String> env(CommandLine.Model.CommandSpec spec) {
    return ((KeygateCli) spec.root().userObject()).env;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = KeygateCli.class.getPackage().getImplementationVersion();
      return new String[] {"keygate " + (v == null ? "dev" : v)};
    }
  }
}
