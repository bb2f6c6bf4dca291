package io.keygate.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Change detection of the secret files, on real files. */
class SecretsWatcherTest {
  @TempDir Path dir;

  final List<String> loaded = new ArrayList<>();

  private SecretsWatcher watcher(Path file) {
    return new SecretsWatcher()
        .watch(
            "pepper",
            file,
            f -> {
              String text = Files.readString(f);
              if (text.contains("bad")) {
                throw new IllegalStateException("malformed");
              }
              loaded.add(text);
              return "ok";
            });
  }

  @Test
  void check_unchangedFile_doesNotReload_changedContentDoes() throws IOException {
    Path f = Files.writeString(dir.resolve("pepper"), "v1\n");
    SecretsWatcher w = watcher(f);
    w.check();
    assertThat(loaded).isEmpty();
    Files.writeString(f, "v1\nv2\n");
    w.check();
    w.check();
    assertThat(loaded).containsExactly("v1\nv2\n");
  }

  @Test
  void check_atomicReplaceWithSameSizeAndModificationTime_isSeenByItsNewIdentity()
      throws IOException {
    Path f = Files.writeString(dir.resolve("pepper"), "v1:aaaa\n");
    FileTime t = Files.getLastModifiedTime(f);
    SecretsWatcher w = watcher(f);
    Path tmp = Files.writeString(dir.resolve("pepper.tmp"), "v1:bbbb\n");
    Files.setLastModifiedTime(tmp, t);
    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    w.check();
    assertThat(loaded).containsExactly("v1:bbbb\n");
  }

  @Test
  void check_refusedFile_isRetriedUntilItLoads_andAMissingFileKeepsWhatIsLoaded()
      throws IOException {
    Path f = Files.writeString(dir.resolve("pepper"), "v1\n");
    SecretsWatcher w = watcher(f);
    Files.writeString(f, "bad\n");
    w.check();
    w.check();
    assertThat(loaded).isEmpty();
    FileTime t = Files.getLastModifiedTime(f);
    Files.writeString(f, "v3\n"); // same size: only the content and time differ
    Files.setLastModifiedTime(f, t);
    w.check();
    assertThat(loaded).containsExactly("v3\n");

    Files.delete(f);
    w.check();
    assertThat(loaded).containsExactly("v3\n");
  }
}
