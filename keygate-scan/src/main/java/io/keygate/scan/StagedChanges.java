package io.keygate.scan;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheIterator;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.EmptyTreeIterator;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * Scans what {@code git commit} would record: the staged (index) version of every file whose staged
 * blob differs from {@code HEAD} (every staged file before the first commit). This is what a
 * pre-commit hook must look at — not the working tree, which may hold unstaged edits. Regular files
 * only; blobs with a NUL byte in their first 8 KiB are skipped as binary. Not thread-safe.
 */
final class StagedChanges {
  private final StreamScan scan;

  StagedChanges(StreamScan scan) {
    this.scan = scan;
  }

  void scan(Path dir, ScanStats stats, Consumer<Finding> sink) {
    try (Repository repo = GitHistory.open(dir);
        ObjectReader reader = repo.newObjectReader();
        TreeWalk tw = new TreeWalk(reader)) {
      DirCache index = repo.readDirCache();
      tw.setRecursive(true);
      ObjectId head = repo.resolve(Constants.HEAD + "^{tree}");
      if (head == null) {
        tw.addTree(new EmptyTreeIterator());
      } else {
        CanonicalTreeParser p = new CanonicalTreeParser();
        try (RevWalk walk = new RevWalk(reader)) {
          p.reset(reader, walk.parseTree(head));
        }
        tw.addTree(p);
      }
      tw.addTree(new DirCacheIterator(index));
      tw.setFilter(TreeFilter.ANY_DIFF);
      while (tw.next()) {
        if (tw.getFileMode(1) != FileMode.REGULAR_FILE
            && tw.getFileMode(1) != FileMode.EXECUTABLE_FILE) {
          continue; // deleted, symlink or submodule
        }
        try (InputStream in = reader.open(tw.getObjectId(1)).openStream()) {
          scan.scan(in, tw.getPathString(), true, stats, sink);
        }
      }
    } catch (IOException e) {
      throw new ScanException(
          "cannot read the staged changes of " + dir + ": " + e.getMessage(), e);
    }
  }
}
