package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFileTest {
  @TempDir Path dir;

  @Test
  void loadOrCreate_absentFile_createsOneOwnerOnlyVersion_andRereadsTheSameSecret()
      throws Exception {
    Path f = dir.resolve("sub/pepper");
    List<SecretFile.Version> first = SecretFile.loadOrCreate(f, "pepper", 32, new SecureRandom());
    assertThat(first)
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.version()).isEqualTo(1);
              assertThat(v.secret()).hasSize(32);
            });
    assertThat(Files.getPosixFilePermissions(f))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    List<SecretFile.Version> again = SecretFile.loadOrCreate(f, "pepper", 32, new SecureRandom());
    assertThat(again.get(0).secret()).isEqualTo(first.get(0).secret());
  }

  @Test
  void addVersion_appendsTheNextHigherVersion_keepingOlderOnes() throws Exception {
    Path f = dir.resolve("pepper");
    SecretFile.loadOrCreate(f, "pepper", 32, new SecureRandom());
    assertThat(SecretFile.addVersion(f, "pepper", 32, new SecureRandom())).isEqualTo(2);
    assertThat(SecretFile.load(f, "pepper"))
        .extracting(SecretFile.Version::version)
        .containsExactly(1, 2);
  }

  @Test
  void load_fileReadableByGroup_isRefusedWithChmodAdvice_andNoSecretInTheMessage()
      throws Exception {
    Path f = dir.resolve("pepper");
    SecretFile.loadOrCreate(f, "pepper", 32, new SecureRandom());
    String line = Files.readString(f).strip();
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
    assertThatThrownBy(() -> SecretFile.load(f, "pepper"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("refusing to use pepper file")
        .hasMessageContaining("chmod 600")
        .hasMessageNotContaining(line.substring(3));
  }

  @Test
  void load_malformedLine_namesTheLine_commentsAndBlanksAreSkipped() throws Exception {
    Path f = dir.resolve("key");
    Files.writeString(f, "# comment\n\nv1:AAAA\nnot-a-version\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> SecretFile.load(f, "data key"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("line 4");
    Files.writeString(f, "# only a comment\n");
    assertThatThrownBy(() -> SecretFile.load(f, "data key"))
        .hasMessageContaining("holds no data key version");
  }

  @Test
  void addVersion_rewritesAtomically_keepingCommentsOwnerOnlyAndNoTemporaryFile() throws Exception {
    Path f = dir.resolve("pepper");
    SecretFile.loadOrCreate(f, "pepper", 32, new SecureRandom());
    Files.writeString(f, "# rotated by ops\n" + Files.readString(f));
    String original = Files.readString(f);
    assertThat(SecretFile.addVersion(f, "pepper", 32, new SecureRandom())).isEqualTo(2);
    assertThat(SecretFile.addVersion(f, "pepper", 32, new SecureRandom())).isEqualTo(3);
    List<String> lines = Files.readAllLines(f);
    assertThat(lines.get(0)).isEqualTo("# rotated by ops");
    assertThat(lines).hasSize(4);
    assertThat(Files.readString(f)).startsWith(original);
    assertThat(Files.getPosixFilePermissions(f))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("pepper", "pepper.lock");
    }
    assertThat(Files.getPosixFilePermissions(dir.resolve("pepper.lock")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void removeVersion_dropsOnlyThatLine_refusesTheCurrentAndUnknownVersions() throws Exception {
    Path f = dir.resolve("pepper");
    List<SecretFile.Version> v1 = SecretFile.loadOrCreate(f, "pepper", 32, new SecureRandom());
    SecretFile.addVersion(f, "pepper", 32, new SecureRandom());
    SecretFile.addVersion(f, "pepper", 32, new SecureRandom());
    List<SecretFile.Version> before = SecretFile.load(f, "pepper");

    SecretFile.removeVersion(f, "pepper", 2);

    List<SecretFile.Version> after = SecretFile.load(f, "pepper");
    assertThat(after).extracting(SecretFile.Version::version).containsExactly(1, 3);
    assertThat(after.get(0).secret()).isEqualTo(v1.get(0).secret());
    assertThat(after.get(1).secret()).isEqualTo(before.get(2).secret());
    assertThat(Files.getPosixFilePermissions(f))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> SecretFile.removeVersion(f, "pepper", 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("current");
    assertThatThrownBy(() -> SecretFile.removeVersion(f, "pepper", 7))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no pepper version 7");
    assertThat(SecretFile.load(f, "pepper"))
        .extracting(SecretFile.Version::version)
        .containsExactly(1, 3);
  }

  @Test
  void addVersion_concurrentRotations_eachGetsItsOwnVersion_noneIsLost() throws Exception {
    Path f = dir.resolve("pepper");
    SecretFile.loadOrCreate(f, "pepper", 32, new SecureRandom());
    var pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> added = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        added.add(pool.submit(() -> SecretFile.addVersion(f, "pepper", 32, new SecureRandom())));
      }
      Set<Integer> got = new TreeSet<>();
      for (var a : added) {
        got.add(a.get());
      }
      assertThat(got).containsExactly(2, 3, 4, 5, 6, 7, 8, 9);
    } finally {
      pool.shutdownNow();
    }
    assertThat(SecretFile.load(f, "pepper"))
        .extracting(SecretFile.Version::version)
        .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
  }
}
