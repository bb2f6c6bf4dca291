package io.keygate.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeySettings;
import io.keygate.core.testing.TestKeys;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewayAnswerTest {
  private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");

  private static ApiKeyRecord key(String owner) {
    return TestKeys.key(
        "key_1",
        T0,
        k -> {
          k.type = "sk_test_";
          k.hash = "hash";
          k.owner = owner;
          k.settings = new KeySettings(null, List.of("read", "write"), null, null, null);
        });
  }

  private static List<String> names(GatewayAnswer a) {
    return a.headers().stream().map(GatewayAnswer.Header::name).toList();
  }

  @Test
  void valid_givesIdentityHeadersAndLimits() {
    GatewayAnswer a =
        GatewayAnswer.of(
            new Verification.Valid(key("acme"), List.of(new LimitState("m", 10, 9, 60)), 5L));
    assertThat(a.status()).isEqualTo(200);
    assertThat(names(a))
        .containsExactly(
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "X-Keygate-Quota-Remaining",
            "X-Keygate-Key-Id",
            "X-Keygate-Owner-Id",
            "X-Keygate-Key-Type",
            "X-Keygate-Scopes");
    assertThat(a.header("x-keygate-scopes")).isEqualTo("read,write");
    assertThat(a.header("RateLimit-Remaining")).isEqualTo("9");
    assertThat(a.headers().stream().filter(GatewayAnswer.Header::identity).map(h -> h.name()))
        .containsExactlyElementsOf(GatewayAnswer.IDENTITY_HEADERS);
  }

  @Test
  void valid_withoutOwner_leavesOwnerHeaderOut() {
    GatewayAnswer a = GatewayAnswer.of(new Verification.Valid(key(null)));
    assertThat(a.header(GatewayAnswer.OWNER_ID)).isNull();
    assertThat(a.header(GatewayAnswer.KEY_ID)).isEqualTo("key_1");
  }

  @Test
  void unauthenticated_gives401WithChallengeAndCode() {
    GatewayAnswer a =
        GatewayAnswer.of(new Verification.Rejected(Outcome.KEY_REVOKED, key("a"), "revoked"));
    assertThat(a.status()).isEqualTo(401);
    assertThat(a.header("WWW-Authenticate"))
        .isEqualTo(
            "Bearer realm=\"keygate\", error=\"invalid_token\","
                + " error_description=\"key_revoked\"");
    assertThat(a.header(GatewayAnswer.ERROR)).isEqualTo("key_revoked");
    assertThat(a.header(GatewayAnswer.KEY_ID)).isNull();
  }

  @Test
  void rateLimited_gives429WithRetryAfterAndNoChallenge() {
    GatewayAnswer a =
        GatewayAnswer.of(
            new Verification.Rejected(
                Outcome.RATE_LIMITED,
                key("a"),
                "slow down",
                List.of(new LimitState("m", 1, 0, 30)),
                null,
                30));
    assertThat(a.status()).isEqualTo(429);
    assertThat(a.header("Retry-After")).isEqualTo("30");
    assertThat(a.header("WWW-Authenticate")).isNull();
    assertThat(a.header("RateLimit-Remaining")).isEqualTo("0");
  }

  @Test
  void forbidden_gives403WithoutChallenge() {
    GatewayAnswer a =
        GatewayAnswer.of(
            new Verification.Rejected(Outcome.INSUFFICIENT_SCOPE, key("a"), "needs admin"));
    assertThat(a.status()).isEqualTo(403);
    assertThat(names(a)).containsExactly("X-Keygate-Error");
  }
}
