package io.keygate.scan;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevSort;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.EmptyTreeIterator;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * Scans every commit reachable from any ref (branches, tags, remotes, stash, HEAD).
 *
 * <p>Design note: commits are visited parents first (topological, reversed). For each commit the
 * files whose blob differs from the same path in every parent (or every file of a root commit) are
 * scanned whole; files that are unchanged or taken from a parent are not, so each blob is read
 * about once. A key is reported once per path, with the first commit in that order that contains it
 * — the commit that introduced it — even if the file was later changed, the key removed, or the
 * file deleted. Symlinks and submodules are not followed; blobs with a NUL byte in their first 8
 * KiB are skipped as binary. Not thread-safe: one per scan.
 */
final class GitHistory {
  private final StreamScan scan;

  GitHistory(StreamScan scan) {
    this.scan = scan;
  }

  /**
   * The git repository {@code dir} is in (found upwards from it, as {@code git} does).
   *
   * @throws IllegalArgumentException when {@code dir} is in no git repository
   */
  static Repository open(Path dir) throws IOException {
    FileRepositoryBuilder builder = new FileRepositoryBuilder().findGitDir(dir.toFile());
    if (builder.getGitDir() == null) {
      throw new IllegalArgumentException("not a git repository: " + dir);
    }
    return builder.setMustExist(true).build();
  }

  void scan(Path dir, ScanStats stats, Consumer<Finding> sink) {
    try (Repository repo = open(dir);
        RevWalk walk = new RevWalk(repo);
        ObjectReader reader = repo.newObjectReader()) {
      boolean any = false;
      for (Ref ref : repo.getRefDatabase().getRefs()) {
        ObjectId id = ref.getObjectId();
        if (id == null) {
          continue;
        }
        RevObject obj = walk.peel(walk.parseAny(id));
        if (obj instanceof RevCommit commit) {
          walk.markStart(commit);
          any = true;
        }
      }
      Ref head = repo.exactRef(Constants.HEAD);
      if (head != null && head.getObjectId() != null) {
        RevObject obj = walk.peel(walk.parseAny(head.getObjectId()));
        if (obj instanceof RevCommit commit) {
          walk.markStart(commit);
          any = true;
        }
      }
      if (!any) {
        return;
      }
      walk.sort(RevSort.TOPO, true);
      walk.sort(RevSort.REVERSE, true);
      Set<String> reported = new HashSet<>();
      for (RevCommit commit : walk) {
        stats.addCommit();
        scanCommit(walk, reader, commit, stats, reported, sink);
      }
    } catch (IOException e) {
      throw new ScanException("cannot read git history of " + dir + ": " + e.getMessage(), e);
    }
  }

  private void scanCommit(
      RevWalk walk,
      ObjectReader reader,
      RevCommit commit,
      ScanStats stats,
      Set<String> reported,
      Consumer<Finding> sink)
      throws IOException {
    CommitInfo info = info(commit);
    try (TreeWalk tw = new TreeWalk(reader)) {
      tw.setRecursive(true);
      if (commit.getParentCount() == 0) {
        tw.addTree(new EmptyTreeIterator());
      }
      for (RevCommit parent : commit.getParents()) {
        tw.addTree(walk.parseCommit(parent).getTree());
      }
      tw.addTree(commit.getTree());
      tw.setFilter(TreeFilter.ANY_DIFF);
      int self = tw.getTreeCount() - 1;
      while (tw.next()) {
        if ((tw.getRawMode(self) & FileMode.TYPE_MASK) != FileMode.TYPE_FILE) {
          continue;
        }
        ObjectId blob = tw.getObjectId(self);
        boolean inherited = false;
        for (int i = 0; i < self && !inherited; i++) {
          inherited = blob.equals(tw.getObjectId(i));
        }
        if (inherited) {
          continue;
        }
        String path = tw.getPathString();
        try (InputStream in = reader.open(blob, Constants.OBJ_BLOB).openStream()) {
          scan.scan(
              in,
              path,
              true,
              stats,
              f -> {
                if (reported.add(path + '\0' + f.fingerprint())) {
                  sink.accept(f.withCommit(info));
                }
              });
        }
      }
    }
  }

  private static CommitInfo info(RevCommit commit) {
    PersonIdent author = commit.getAuthorIdent();
    String message = commit.getShortMessage();
    return new CommitInfo(
        commit.getName(),
        author.getName(),
        author.getEmailAddress(),
        OffsetDateTime.ofInstant(author.getWhenAsInstant(), author.getZoneId()),
        message == null ? "" : message);
  }
}
