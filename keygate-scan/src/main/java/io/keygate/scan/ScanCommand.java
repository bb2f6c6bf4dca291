package io.keygate.scan;

import io.keygate.core.key.KeyType;
import io.keygate.core.key.KeyTypes;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keygate scan}: finds checksum-confirmed Keygate keys in files, directories, standard input
 * or a repository's whole git history, prints redacted findings and exits non-zero when it finds
 * any. Register it as a subcommand ({@code new CommandLine(root).addSubcommand(new
 * ScanCommand(keyTypes))}) or run it standalone through {@link #main}.
 *
 * <p>Exit codes: {@value #EXIT_CLEAN} nothing found, {@value #EXIT_FOUND} keys found, {@value
 * #EXIT_USAGE} usage error (picocli's usage exit code, also for a refused {@code --report-to} URL
 * or a missing token), {@value #EXIT_ERROR} the scan or the report failed (I/O, git, HTTP).
 *
 * <p><b>Security guarantees.</b> No output format prints a full key: text, JSON, SARIF and gitleaks
 * output carry the redacted form and the SHA-256 fingerprint only. Raw keys leave the process only
 * with {@code --report-to}, and only over https or to a loopback address, with the token from
 * {@code KEYGATE_TOKEN}.
 *
 * <p>Not thread-safe: picocli fills one instance per invocation.
 */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = ScanCommand.Version.class,
    description = {
      "Find Keygate API keys (confirmed by checksum) in files, directories, stdin or git history.",
      "Exit codes: 0 nothing found, 1 keys found, 2 usage error, 3 scan or report failed."
    })
public final class ScanCommand implements Callable<Integer> {
  /** Nothing found. */
  public static final int EXIT_CLEAN = 0;

  /** At least one key found. */
  public static final int EXIT_FOUND = 1;

  /** Bad arguments (picocli's usage exit code). */
  public static final int EXIT_USAGE = CommandLine.ExitCode.USAGE;

  /** The scan or the report failed. */
  public static final int EXIT_ERROR = 3;

  /** Environment variable holding the admin token for {@code --report-to}. */
  public static final String TOKEN_ENV = "KEYGATE_TOKEN";

  /** Progress is printed only once a scan has read this many bytes. */
  static final long PROGRESS_THRESHOLD_BYTES = 8L << 20;

  /** Interval between progress lines. */
  static final long PROGRESS_INTERVAL_MILLIS = 2000;

  @Parameters(
      paramLabel = "PATH",
      arity = "0..*",
      description = "Files or directories to scan, '-' for standard input (default: .).")
  private List<String> paths = new ArrayList<>();

  @Option(
      names = "--git",
      description = "Scan every commit of the git repositories at PATH (default: .).")
  private boolean git;

  @Option(
      names = {"-f", "--format"},
      paramLabel = "FORMAT",
      defaultValue = "text",
      converter = FormatConverter.class,
      description = "Output format: text, json, sarif or gitleaks (default: ${DEFAULT-VALUE}).")
  private ReportFormat format;

  @Option(names = "--no-gitignore", description = "Also scan files ignored by .gitignore.")
  private boolean noGitignore;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write the report to FILE instead of standard output.")
  private Path output;

  @Option(
      names = "--report-to",
      paramLabel = "URL",
      description =
          "POST findings with their raw keys to URL/v1/leaks/reports?format=keygate using the"
              + " token in $KEYGATE_TOKEN (https, or http to loopback only).")
  private String reportTo;

  @Option(
      names = "--staged",
      description =
          "Scan the staged changes of the git repository at PATH (what the next commit records):"
              + " for pre-commit hooks. With --report-to, findings are recorded as prevented (the"
              + " keys are kept).")
  private boolean staged;

  @Option(
      names = "--imported-prefix",
      split = ",",
      paramLabel = "PREFIX",
      description =
          "Also find keys imported from another system with this prefix (PREFIX + 16..128 URL-safe"
              + " characters, no checksum), e.g. sk_live_. With --report-to, the server's imported"
              + " prefixes are added.")
  private List<String> importedPrefixes = new ArrayList<>();

  @Option(
      names = "--print-gitleaks-config",
      description = "Print a gitleaks TOML config for the configured prefixes and exit.")
  private boolean printGitleaksConfig;

  @Option(
      names = "--prefixes",
      split = ",",
      paramLabel = "PREFIX",
      description = "Only these key prefixes, e.g. sk_live_,rk_live_ (default: all configured).")
  private List<String> prefixes;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress or summary on standard error.")
  private boolean quiet;

  @Spec private CommandSpec spec;

  private final KeyTypes keyTypes;
  private final InputStream stdin;
  private final PrintStream stdout;
  private final PrintStream stderr;
  private final Map<String, String> env;

  /** A command for {@link KeyTypes#defaults()} on the process's standard streams. */
  public ScanCommand() {
    this(KeyTypes.defaults());
  }

  /** A command for the given key types (the server passes its configured ones). */
  public ScanCommand(KeyTypes keyTypes) {
    this(keyTypes, System.in, System.out, System.err, System.getenv());
  }

  /** A command on explicit streams and environment (for embedding and tests). */
  public ScanCommand(
      KeyTypes keyTypes,
      InputStream stdin,
      PrintStream stdout,
      PrintStream stderr,
      Map<String, String> env) {
    this.keyTypes = Objects.requireNonNull(keyTypes, "keyTypes");
    this.stdin = Objects.requireNonNull(stdin, "stdin");
    this.stdout = Objects.requireNonNull(stdout, "stdout");
    this.stderr = Objects.requireNonNull(stderr, "stderr");
    this.env = Map.copyOf(env);
  }

  /** Runs {@code keygate scan} standalone and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ScanCommand()).execute(args));
  }

  @Override
  public Integer call() {
    KeyTypes types = selectedTypes();
    if (printGitleaksConfig) {
      stdout.print(GitleaksConfig.toml(types));
      stdout.flush();
      return EXIT_CLEAN;
    }
    LeakReporter reporter = reporter();
    List<String> targets = paths.isEmpty() ? List.of(".") : paths;
    if (git && staged) {
      throw usage("--git and --staged cannot be combined");
    }
    if ((git || staged) && targets.contains("-")) {
      throw usage(
          (git ? "--git" : "--staged")
              + " scans repositories; '-' (standard input) cannot be combined with it");
    }
    for (String t : targets) {
      if (!t.equals("-") && !Files.exists(Path.of(t))) {
        throw usage("no such file or directory: " + t);
      }
    }
    Set<String> imported = new TreeSet<>();
    for (String p : importedPrefixes) {
      if (!p.isBlank()) {
        imported.add(p.strip());
      }
    }
    if (reporter != null) {
      try {
        for (String p : reporter.importedPrefixes()) {
          if (Scanner.scannablePrefix(p)) {
            imported.add(p);
          } else if (!quiet) {
            stderr.println("keygate scan: imported prefix '" + p + "' cannot be scanned for");
          }
        }
      } catch (ScanException e) {
        stderr.println("keygate scan: error: " + e.getMessage());
        return EXIT_ERROR;
      }
    }
    Scanner scanner;
    try {
      scanner =
          Scanner.builder()
              .keyTypes(types)
              .importedPrefixes(imported)
              .respectGitignore(!noGitignore)
              .build();
    } catch (IllegalArgumentException e) {
      throw usage("--imported-prefix: " + e.getMessage());
    }
    ScanStats stats = new ScanStats();
    List<Finding> findings = new ArrayList<>();
    ScheduledExecutorService progress = quiet ? null : startProgress(stats);
    try {
      for (String t : targets) {
        if (t.equals("-")) {
          scanner.scanStream("-", stdin, stats, findings::add);
        } else if (git) {
          scanner.scanGitHistory(Path.of(t), stats, findings::add);
        } else if (staged) {
          scanner.scanStaged(Path.of(t), stats, findings::add);
        } else {
          scanner.scanPaths(List.of(Path.of(t)), stats, findings::add);
        }
      }
      writeReport(findings, types);
      if (reporter != null && !findings.isEmpty()) {
        int status = reporter.send(findings);
        if (!quiet) {
          stderr.printf(
              Locale.ROOT,
              "keygate scan: reported %d finding(s) to %s (HTTP %d)%n",
              findings.size(),
              reporter.endpoint(),
              status);
        }
      }
    } catch (IOException | ScanException | IllegalArgumentException e) {
      stderr.println("keygate scan: error: " + e.getMessage());
      return EXIT_ERROR;
    } finally {
      if (progress != null) {
        progress.shutdownNow();
      }
    }
    if (!quiet) {
      stderr.printf("keygate scan: %d finding(s) in %s%n", findings.size(), describe(stats));
    }
    return findings.isEmpty() ? EXIT_CLEAN : EXIT_FOUND;
  }

  private KeyTypes selectedTypes() {
    if (prefixes == null || prefixes.isEmpty()) {
      return keyTypes;
    }
    List<KeyType> selected = new ArrayList<>();
    for (String raw : prefixes) {
      String prefix = raw.trim();
      if (prefix.isEmpty()) {
        continue;
      }
      KeyType known = keyTypes.byPrefix(prefix);
      try {
        selected.add(known != null ? known : customType(prefix));
      } catch (IllegalArgumentException e) {
        throw usage("--prefixes: " + e.getMessage());
      }
    }
    try {
      return KeyTypes.of(selected);
    } catch (IllegalArgumentException e) {
      throw usage("--prefixes: " + e.getMessage());
    }
  }

  /** A type for a prefix that is not configured: treated as live, named after the prefix. */
  private static KeyType customType(String prefix) {
    String stem = prefix.endsWith("_") ? prefix.substring(0, prefix.length() - 1) : prefix;
    String name = stem.isEmpty() || !Character.isLetter(stem.charAt(0)) ? "key_" + stem : stem;
    return new KeyType(name.length() > 40 ? name.substring(0, 40) : name, prefix, true, false);
  }

  private LeakReporter reporter() {
    if (reportTo == null) {
      return null;
    }
    LeakReporter r;
    String token = env.get(TOKEN_ENV);
    if (token == null || token.isBlank()) {
      throw usage("--report-to needs an admin token in $" + TOKEN_ENV);
    }
    try {
      r = new LeakReporter(reportTo, token.trim(), staged);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    return r;
  }

  private void writeReport(List<Finding> findings, KeyTypes types) throws IOException {
    if (output == null) {
      format.write(findings, types, stdout);
      return;
    }
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(output))) {
      format.write(findings, types, out);
    }
  }

  private ScheduledExecutorService startProgress(ScanStats stats) {
    ScheduledExecutorService ex =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keygate-scan-progress");
              t.setDaemon(true);
              return t;
            });
    ex.scheduleAtFixedRate(
        () -> {
          if (stats.bytes() >= PROGRESS_THRESHOLD_BYTES) {
            stderr.printf(
                "keygate scan: %s, %d finding(s) so far%n", describe(stats), stats.findings());
          }
        },
        PROGRESS_INTERVAL_MILLIS,
        PROGRESS_INTERVAL_MILLIS,
        TimeUnit.MILLISECONDS);
    return ex;
  }

  private String describe(ScanStats stats) {
    return String.format(
        Locale.ROOT,
        "%d file(s)%s, %.1f MB%s",
        stats.files(),
        git ? " from " + stats.commits() + " commit(s)" : "",
        stats.bytes() / 1e6,
        stats.skippedBinary() > 0 ? ", " + stats.skippedBinary() + " binary skipped" : "");
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** Converts {@code --format} values case-insensitively. */
  static final class FormatConverter implements CommandLine.ITypeConverter<ReportFormat> {
    @Override
    public ReportFormat convert(String value) {
      try {
        return ReportFormat.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** Reports the module version for {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"keygate scan " + Reports.VERSION};
    }
  }
}
