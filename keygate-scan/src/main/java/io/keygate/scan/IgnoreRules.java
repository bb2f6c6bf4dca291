package io.keygate.scan;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import org.eclipse.jgit.ignore.IgnoreNode;

/**
 * The stack of {@code .gitignore} rule sets in force while walking a directory tree, evaluated with
 * JGit's {@link IgnoreNode} the way git does: the deepest file that has an opinion wins, and a
 * negated match defers to the parent with its answer inverted. The work tree's {@code
 * .git/info/exclude} and the {@code .gitignore} files of directories above the scan root (up to the
 * work tree top) apply too. Not thread-safe: one per walk.
 */
final class IgnoreRules {
  private record Frame(Path dir, IgnoreNode node) {}

  private final Deque<Frame> frames = new ArrayDeque<>();

  /** Rules for a walk starting at {@code root}: excludes and ancestors' files up to the top. */
  static IgnoreRules forRoot(Path root) throws IOException {
    IgnoreRules rules = new IgnoreRules();
    Path abs = root.toAbsolutePath().normalize();
    Path top = null;
    for (Path p = abs; p != null; p = p.getParent()) {
      if (Files.exists(p.resolve(".git"))) {
        top = p;
        break;
      }
    }
    if (top == null) {
      return rules;
    }
    rules.push(top, top.resolve(".git").resolve("info").resolve("exclude"));
    List<Path> chain = new ArrayList<>();
    for (Path p = abs.getParent(); p != null && p.startsWith(top); p = p.getParent()) {
      chain.add(0, p);
    }
    for (Path dir : chain) {
      rules.push(dir, dir.resolve(".gitignore"));
    }
    return rules;
  }

  /** Enters {@code dir}: its {@code .gitignore}, if any, now applies. */
  void enter(Path dir) throws IOException {
    push(dir.toAbsolutePath().normalize(), dir.resolve(".gitignore"));
  }

  /** Leaves the directory entered last. */
  void leave() {
    frames.pop();
  }

  private void push(Path dir, Path file) throws IOException {
    IgnoreNode node = null;
    if (Files.isRegularFile(file)) {
      node = new IgnoreNode();
      try (InputStream in = Files.newInputStream(file)) {
        node.parse(file.toString(), in);
      }
    }
    frames.push(new Frame(dir, node));
  }

  /** Whether {@code path} is ignored. */
  boolean isIgnored(Path path, boolean directory) {
    Path abs = path.toAbsolutePath().normalize();
    boolean negate = false;
    for (Iterator<Frame> it = frames.iterator(); it.hasNext(); ) {
      Frame f = it.next();
      if (f.node() == null || !abs.startsWith(f.dir()) || abs.equals(f.dir())) {
        continue;
      }
      String rel = f.dir().relativize(abs).toString().replace('\\', '/');
      switch (f.node().isIgnored(rel, directory)) {
        case IGNORED:
          return !negate;
        case NOT_IGNORED:
          return negate;
        case CHECK_PARENT_NEGATE_FIRST_MATCH:
          negate = !negate;
          break;
        case CHECK_PARENT:
        default:
          break;
      }
    }
    return false;
  }
}
