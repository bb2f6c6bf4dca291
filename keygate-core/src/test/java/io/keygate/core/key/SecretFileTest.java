package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
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
}
