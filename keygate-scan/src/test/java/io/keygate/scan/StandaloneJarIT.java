package io.keygate.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scanner people can hand out: the standalone jar ({@code package} builds it) copied into an
 * empty directory and run there with only {@code java} — no Maven, no other Keygate module, no
 * environment but {@code PATH}.
 *
 * <p>Run: {@code ./mvnw -o -pl keygate-scan -am verify -Dtest=none
 * -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=StandaloneJarIT}
 */
class StandaloneJarIT {
  @TempDir Path clean;

  private record Run(int exit, String out, String err) {}

  private Run java(Path cwd, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(clean.resolve("keygate-scan.jar").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/bin:/bin");
    Path out = Files.createTempFile(clean, "out", ".txt");
    Path err = Files.createTempFile(clean, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the jar finished").isTrue();
    return new Run(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void standaloneJar_runsFromACleanDirectory_withOnlyJava() throws Exception {
    Path jar = Path.of(System.getProperty("keygate.scan.jar", "target/missing.jar"));
    assertThat(jar).as("built by package").exists();
    Files.copy(jar, clean.resolve("keygate-scan.jar"));
    Path work = Files.createDirectories(clean.resolve("project"));
    String key = Keys.real("live_secret");
    String imported = "sk_live_" + "Ab-9_".repeat(8) + "xyz";
    Files.writeString(
        work.resolve("settings.py"), "KEY = '" + key + "'\nOLD = '" + imported + "'\n");

    Run version = java(work, "--version");
    assertThat(version.exit()).as(version.err()).isZero();
    assertThat(version.out()).startsWith("keygate scan ");

    Run scan = java(work, "--format", "json", "--imported-prefix", "sk_live_", ".");
    assertThat(scan.exit()).as(scan.err()).isEqualTo(ScanCommand.EXIT_FOUND);
    assertThat(scan.out()).contains("settings.py").doesNotContain(key).doesNotContain(imported);
    assertThat(scan.out().split("\"fingerprint\"", -1)).hasSize(3); // both keys
    assertThat(scan.err()).doesNotContain("SLF4J");

    try (Git git = Git.init().setDirectory(work.toFile()).setInitialBranch("main").call()) {
      git.add().addFilepattern("settings.py").call();
    }
    Run staged = java(work, "--staged", "--quiet", ".");
    assertThat(staged.exit()).as(staged.err()).isEqualTo(ScanCommand.EXIT_FOUND);
    assertThat(staged.out()).contains("settings.py");

    Files.writeString(work.resolve("clean.txt"), "nothing here\n");
    Run cleanFile = java(work, "--quiet", "clean.txt");
    assertThat(cleanFile.exit()).isEqualTo(ScanCommand.EXIT_CLEAN);
    assertThat(new File(clean.toFile(), "keygate-scan.jar").length()).isPositive();
  }
}
