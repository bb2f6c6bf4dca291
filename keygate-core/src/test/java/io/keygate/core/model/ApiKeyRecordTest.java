package io.keygate.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiKeyRecordTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant NOW = T0.plusSeconds(3600);

  /** Every component set to a distinct value, so a copy that mixes two up shows. */
  private final ApiKeyRecord full =
      new ApiKeyRecord(
          "key_a",
          "live_secret",
          "sk_test_…abcd",
          "00ff",
          2,
          "own_1",
          new KeySettings("k", List.of("read"), List.of(), List.of(), Map.of()),
          KeyStatus.ACTIVE,
          T0,
          T0.plusSeconds(1),
          T0.plusSeconds(2),
          T0.plusSeconds(3),
          "old reason",
          T0.plusSeconds(4),
          "key_prev",
          "key_next",
          T0.plusSeconds(5),
          7);

  @Test
  void withSettings_changesSettingsExpiryAndUpdatedAt_only() {
    KeySettings s = new KeySettings("other", List.of("write"), List.of(), List.of(), Map.of());
    ApiKeyRecord c = full.withSettings(s, null, NOW);
    assertThat(c.settings()).isEqualTo(s);
    assertThat(c.expiresAt()).isNull();
    assertOnlyChanged(c, "settings", "expiresAt");
  }

  @Test
  void withStatus_changesStatusAndUpdatedAt_only() {
    ApiKeyRecord c = full.withStatus(KeyStatus.DISABLED, NOW);
    assertThat(c.status()).isEqualTo(KeyStatus.DISABLED);
    assertOnlyChanged(c, "status");
  }

  @Test
  void revoked_changesStatusRevocationAndUpdatedAt_only() {
    ApiKeyRecord c = full.revoked(NOW.minusSeconds(1), "leaked", NOW);
    assertThat(c.status()).isEqualTo(KeyStatus.REVOKED);
    assertThat(c.revokedAt()).isEqualTo(NOW.minusSeconds(1));
    assertThat(c.revokeReason()).isEqualTo("leaked");
    assertOnlyChanged(c, "status", "revokedAt", "revokeReason");
  }

  @Test
  void rotatedTo_changesSuccessorScheduledRevocationAndUpdatedAt_only() {
    ApiKeyRecord c = full.rotatedTo("key_b", NOW.plusSeconds(60), NOW);
    assertThat(c.rotatedTo()).isEqualTo("key_b");
    assertThat(c.revokesAt()).isEqualTo(NOW.plusSeconds(60));
    assertOnlyChanged(c, "rotatedTo", "revokesAt");
  }

  @Test
  void withHash_changesHashPepperVersionAndUpdatedAt_only() {
    ApiKeyRecord c = full.withHash("abcd", 3, NOW);
    assertThat(c.hash()).isEqualTo("abcd");
    assertThat(c.pepperVersion()).isEqualTo(3);
    assertOnlyChanged(c, "hash", "pepperVersion");
  }

  private void assertOnlyChanged(ApiKeyRecord copy, String... changed) {
    assertThat(copy.updatedAt()).isEqualTo(NOW);
    Set<String> expected = Set.of(changed);
    List<String> differing = new ArrayList<>();
    for (RecordComponent rc : ApiKeyRecord.class.getRecordComponents()) {
      try {
        Object before = rc.getAccessor().invoke(full);
        Object after = rc.getAccessor().invoke(copy);
        if (!rc.getName().equals("updatedAt") && !Objects.equals(before, after)) {
          differing.add(rc.getName());
        }
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(e);
      }
    }
    assertThat(differing).containsExactlyInAnyOrderElementsOf(expected);
  }
}
