package io.keygate.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StagedChangesTest {
  @TempDir Path repo;

  private List<Finding> staged() {
    List<Finding> out = new ArrayList<>();
    Scanner.builder().build().scanStaged(repo, new ScanStats(), out::add);
    return out;
  }

  @Test
  void scanStaged_findsOnlyWhatTheNextCommitRecords() throws Exception {
    try (Git git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call()) {
      String committed = Keys.real("live_secret");
      Files.writeString(repo.resolve("old.py"), "K = '" + committed + "'\n");
      git.add().addFilepattern(".").call();
      assertThat(staged()).extracting(f -> f.secret().reveal()).containsExactly(committed);
      git.commit().setMessage("first").setSign(false).call();
      assertThat(staged()).isEmpty(); // already in HEAD: nothing staged

      String stagedKey = Keys.real("live_secret");
      String unstagedKey = Keys.real("live_secret");
      Files.writeString(repo.resolve("new.py"), "K = '" + stagedKey + "'\n");
      git.add().addFilepattern("new.py").call();
      Files.writeString(repo.resolve("new.py"), "K = '" + unstagedKey + "'\n"); // not staged
      Files.writeString(repo.resolve("untracked.py"), "K = '" + Keys.real("live_secret") + "'\n");

      List<Finding> found = staged();
      assertThat(found).extracting(f -> f.secret().reveal()).containsExactly(stagedKey);
      assertThat(found.get(0).file()).isEqualTo("new.py");
    }
  }

  @Test
  void scanStaged_notARepository_rejected(@TempDir Path plain) {
    assertThatThrownBy(() -> Scanner.builder().build().scanStaged(plain, new ScanStats(), f -> {}))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
