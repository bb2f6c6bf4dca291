package io.keygate.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeyTypesTest {

  @Test
  void defaults_holdTheProductPrefixesAndAnAdminType() {
    KeyTypes t = KeyTypes.defaults();
    assertThat(t.all())
        .extracting(KeyType::prefix)
        .containsExactly(
            "sk_live_", "sk_test_", "pk_live_", "pk_test_", "rk_live_", "rk_test_", "kg_admin_");
    assertThat(t.byName(KeyTypes.DEFAULT)).get().extracting(KeyType::prefix).isEqualTo("sk_live_");
    assertThat(t.byName(KeyTypes.ADMIN)).get().matches(KeyType::admin);
    assertThat(t.all().stream().filter(KeyType::admin)).hasSize(1);
    assertThat(t.byName("test_secret")).get().matches(k -> !k.live());
  }

  @Test
  void byName_andByPrefix_findTheSameType() {
    KeyTypes t = KeyTypes.defaults();
    for (KeyType k : t.all()) {
      assertThat(t.byName(k.name())).contains(k);
      assertThat(t.byPrefix(k.prefix())).isEqualTo(k);
    }
    assertThat(t.byName("nope")).isEmpty();
    assertThat(t.byName(null)).isEmpty();
    assertThat(t.byPrefix("sk_")).isNull();
  }

  @Test
  void byPrefixOf_matchesByPrefix_onTheLeadingCharactersOnly() {
    KeyTypes t = KeyTypes.defaults();
    for (KeyType k : t.all()) {
      String key = k.prefix() + "AbC123";
      assertThat(t.byPrefixOf(key, k.prefix().length())).isEqualTo(k);
      assertThat(t.byPrefixOf(new StringBuilder(key), k.prefix().length())).isEqualTo(k);
      assertThat(t.byPrefixOf(key, k.prefix().length() - 1)).isNull();
      assertThat(t.byPrefixOf(key, k.prefix().length() + 1)).isNull();
    }
    assertThat(t.byPrefixOf("sk_lIve_AbC123", "sk_live_".length())).isNull();
    assertThat(t.byPrefixOf("sk_", 3)).isNull();
  }

  @Test
  void of_duplicateName_isRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                KeyTypes.of(
                    List.of(
                        new KeyType("a", "a_", true, false), new KeyType("a", "b_", true, false))))
        .withMessageContaining("duplicate key type name");
  }

  @Test
  void of_duplicatePrefix_isRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(
            () ->
                KeyTypes.of(
                    List.of(
                        new KeyType("a", "x_", true, false), new KeyType("b", "x_", true, false))))
        .withMessageContaining("duplicate key prefix");
  }

  @Test
  void of_empty_isRejected() {
    assertThatIllegalArgumentException().isThrownBy(() -> KeyTypes.of(List.of()));
  }

  @Test
  void defaultTypes_isAMutableCopy() {
    List<KeyType> types = KeyTypes.defaultTypes();
    types.add(new KeyType("partner", "pt_live_", true, false));
    assertThat(KeyTypes.of(types).byPrefix("pt_live_")).isNotNull();
    assertThat(KeyTypes.defaults().byPrefix("pt_live_")).isNull();
  }
}
