package io.keygate.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitHistoryTest {
  @TempDir Path repo;

  private Git git;
  private int tick;

  /** Raw key → sha of the commit that introduced it. */
  private final Map<String, String> introducedBy = new LinkedHashMap<>();

  @BeforeEach
  void init() throws GitAPIException {
    git = Git.init().setDirectory(repo.toFile()).setInitialBranch("main").call();
  }

  private RevCommit commit(String message, String author) throws GitAPIException {
    PersonIdent who =
        new PersonIdent(
            author,
            author.toLowerCase() + "@example.test",
            Instant.parse("2024-03-01T10:00:00Z").plusSeconds(3600L * tick++),
            ZoneOffset.ofHours(2));
    git.add().addFilepattern(".").call();
    git.add().setUpdate(true).addFilepattern(".").call();
    return git.commit().setMessage(message).setAuthor(who).setCommitter(who).call();
  }

  private void write(String path, String text) throws IOException {
    Path p = repo.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  /** Builds a history with deletions, removals, a side branch, a merge and a tag. */
  private void buildHistory() throws Exception {
    String a1 = Keys.real("live_secret");
    String b1 = Keys.real("test_secret");
    write("app/config.py", "API_KEY = \"" + a1 + "\"\n");
    write("notes/deleted-later.txt", "old key " + b1 + "\n");
    write("notes/lookalike.txt", Keys.badChecksum(Keys.TYPES.all().get(0)) + "\n");
    RevCommit c1 = commit("Initial import\n\nwith details", "Alice");
    introducedBy.put(a1, c1.getName());
    introducedBy.put(b1, c1.getName());

    Files.delete(repo.resolve("notes/deleted-later.txt"));
    write("app/config.py", "API_KEY = \"" + a1 + "\"\nDEBUG = True\n");
    commit("Remove notes", "Bob");

    String c3key = Keys.real("admin");
    write("app/admin.env", "TOKEN=" + c3key + "\n");
    RevCommit c3 = commit("Add admin token by mistake", "Carol");
    introducedBy.put(c3key, c3.getName());

    write("app/admin.env", "TOKEN=${KEYGATE_TOKEN}\n");
    commit("Remove admin token", "Carol");

    git.branchCreate().setName("feature").call();
    git.checkout().setName("feature").call();
    String feat = Keys.real("live_public");
    write(
        "web/client.js",
        "const k = '" + feat.substring(0, 20) + "' +\n  '" + feat.substring(20) + "';\n");
    RevCommit f1 = commit("Feature with split key", "Dave");
    introducedBy.put(feat, f1.getName());

    git.checkout().setName("main").call();
    String mainKey = Keys.real("live_restricted");
    write("app/other.txt", mainKey + "\n");
    RevCommit m1 = commit("Main work", "Alice");
    introducedBy.put(mainKey, m1.getName());
    git.merge().include(f1).setMessage("Merge feature").setCommit(true).call();

    git.checkout().setCreateBranch(true).setName("unmerged").call();
    String unmerged = Keys.real("test_public");
    write("tmp/scratch.txt", unmerged);
    RevCommit u1 = commit("Scratch on an unmerged branch", "Eve");
    introducedBy.put(unmerged, u1.getName());
    git.tag().setName("scratch-tag").setObjectId(u1).setAnnotated(true).setMessage("t").call();
    git.checkout().setName("main").call();
    git.branchDelete().setBranchNames("unmerged").setForce(true).call();
  }

  @Test
  void scanGitHistory_everyKeyOnceWithIntroducingCommit() throws Exception {
    buildHistory();
    List<Finding> found = new ArrayList<>();
    ScanStats stats = new ScanStats();

    Scanner.builder().build().scanGitHistory(repo, stats, found::add);

    Map<String, String> actual = new LinkedHashMap<>();
    for (Finding f : found) {
      assertThat(actual.put(f.secret().reveal(), f.commit().sha())).isNull();
    }
    assertThat(actual).containsExactlyInAnyOrderEntriesOf(introducedBy);
    assertThat(stats.commits()).isEqualTo(8);
    Finding deleted =
        found.stream().filter(f -> f.file().equals("notes/deleted-later.txt")).findFirst().get();
    assertThat(deleted.line()).isEqualTo(1);
    assertThat(deleted.column()).isEqualTo(9);
    assertThat(deleted.commit().author()).isEqualTo("Alice");
    assertThat(deleted.commit().email()).isEqualTo("alice@example.test");
    assertThat(deleted.commit().message()).isEqualTo("Initial import");
    assertThat(deleted.commit().date().toString()).isEqualTo("2024-03-01T12:00+02:00");
    Finding split = found.stream().filter(f -> f.file().equals("web/client.js")).findFirst().get();
    assertThat(split.split()).isTrue();
  }

  @Test
  void scanGitHistory_fromSubdirectory_findsRepository() throws Exception {
    buildHistory();
    List<Finding> found = new ArrayList<>();

    Scanner.builder().build().scanGitHistory(repo.resolve("app"), new ScanStats(), found::add);

    assertThat(found).hasSize(introducedBy.size());
  }

  @Test
  void scanGitHistory_emptyRepository_nothingFound() {
    List<Finding> found = new ArrayList<>();

    Scanner.builder().build().scanGitHistory(repo, new ScanStats(), found::add);

    assertThat(found).isEmpty();
  }

  @Test
  void scanGitHistory_notARepository_rejected(@TempDir Path plain) {
    assertThatThrownBy(
            () -> Scanner.builder().build().scanGitHistory(plain, new ScanStats(), f -> {}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a git repository");
  }
}
