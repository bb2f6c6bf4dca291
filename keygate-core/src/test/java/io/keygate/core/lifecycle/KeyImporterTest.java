package io.keygate.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.key.Pepper;
import io.keygate.core.model.RateLimit;
import io.keygate.core.testing.InMemoryKeyStore;
import io.keygate.core.testing.ManualClock;
import io.keygate.core.verify.LegacyKeys;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.VerifyRequest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Import shares the one validation of key settings with create and update: whatever create refuses,
 * import refuses with the same code, and nothing imported can fail a later verification.
 */
class KeyImporterTest {
  private final ManualClock clock = new ManualClock();
  private final InMemoryKeyStore store = new InMemoryKeyStore();
  private final Keygate kg =
      Keygate.builder().store(store).pepper(new Pepper(1, new byte[32])).clock(clock).build();
  private final KeyImporter importer =
      new KeyImporter(
          store, kg.format(), kg.hasher(), kg.keys().policy(), clock, SecureRandom::new);

  private static String rawKey() {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return "acme_" + java.util.HexFormat.of().formatHex(b);
  }

  private static ImportKey good(String raw) {
    return new ImportKey(
        LegacyKeys.sha256Hex(raw),
        "acme_",
        null,
        "acme",
        "legacy",
        List.of("read"),
        List.of(),
        List.of(),
        null,
        30,
        Map.of());
  }

  /** {@code good} with one field changed. */
  private record Variant(String code, UnaryOperator<ImportKey> change) {}

  private static ImportKey with(
      ImportKey k,
      String type,
      String owner,
      String name,
      List<String> scopes,
      List<String> ips,
      List<RateLimit> limits,
      Instant expiresAt,
      Integer days,
      Map<String, Object> meta) {
    return new ImportKey(
        k.sha256(), k.prefix(), type, owner, name, scopes, ips, limits, expiresAt, days, meta);
  }

  @Test
  void importKey_refusesWhatCreateRefuses_withTheSameCode_andStoresNothing() {
    RateLimit a = new RateLimit("a", 1, Duration.ofSeconds(1));
    Map<String, Object> bigMeta = new HashMap<>();
    IntStream.range(0, 51).forEach(i -> bigMeta.put("k" + i, i));
    Object deep = "too deep";
    for (int i = 0; i < 9; i++) {
      deep = List.of(deep);
    }
    Map<String, Object> deepMeta = Map.of("a", deep);
    List<Variant> variants =
        List.of(
            // the attack of the issue: an endpoint rule that does not parse
            new Variant(
                "invalid_scopes",
                k ->
                    with(
                        k,
                        null,
                        "acme",
                        null,
                        List.of("read", "GET /v1/../admin"),
                        null,
                        null,
                        null,
                        30,
                        null)),
            new Variant(
                "invalid_scopes",
                k ->
                    with(
                        k, null, "acme", null, List.of("FETCH /v1/x"), null, null, null, 30, null)),
            new Variant(
                "invalid_scopes",
                k ->
                    with(k, null, "acme", null, List.of("read write"), null, null, null, 30, null)),
            new Variant(
                "invalid_scopes",
                k -> with(k, null, "acme", null, List.of("GET v1/x"), null, null, null, 30, null)),
            new Variant(
                "invalid_scopes",
                k ->
                    with(k, null, "acme", null, List.of("GET /v1/x*"), null, null, null, 30, null)),
            new Variant(
                "invalid_scopes",
                k ->
                    with(
                        k,
                        null,
                        "acme",
                        null,
                        Arrays.asList("read", null),
                        null,
                        null,
                        null,
                        30,
                        null)),
            new Variant(
                "invalid_scopes",
                k -> with(k, null, "acme", null, List.of(), null, null, null, 30, null)),
            new Variant(
                "invalid_ip_allowlist",
                k -> with(k, null, "acme", null, null, List.of("localhost"), null, null, 30, null)),
            new Variant(
                "invalid_ip_allowlist",
                k ->
                    with(
                        k,
                        null,
                        "acme",
                        null,
                        null,
                        Arrays.asList("10.0.0.1", null),
                        null,
                        null,
                        30,
                        null)),
            new Variant(
                "invalid_rate_limit",
                k -> with(k, null, "acme", null, null, null, List.of(a, a), null, 30, null)),
            new Variant(
                "invalid_meta",
                k -> with(k, null, "acme", null, null, null, null, null, 30, bigMeta)),
            new Variant(
                "invalid_meta",
                k -> with(k, null, "acme", null, null, null, null, null, 30, deepMeta)),
            new Variant(
                "invalid_name",
                k -> with(k, null, "acme", "n".repeat(201), null, null, null, null, 30, null)),
            new Variant(
                "invalid_owner_id",
                k -> with(k, null, "has space", null, null, null, null, null, 30, null)),
            new Variant(
                "invalid_owner_id",
                k -> with(k, null, "x".repeat(129), null, null, null, null, null, 30, null)),
            new Variant(
                "invalid_key_type",
                k -> with(k, "admin", "acme", null, null, null, null, null, 30, null)),
            new Variant(
                "invalid_key_type",
                k -> with(k, "nope", "acme", null, null, null, null, null, 30, null)),
            new Variant(
                "invalid_expiry",
                k -> with(k, null, "acme", null, null, null, null, null, 0, null)),
            new Variant(
                "invalid_expiry",
                k -> with(k, null, "acme", null, null, null, null, null, 366, null)),
            new Variant(
                "invalid_expiry",
                k -> with(k, null, "acme", null, null, null, null, clock.instant(), null, null)),
            new Variant(
                "invalid_expiry",
                k ->
                    with(
                        k,
                        null,
                        "acme",
                        null,
                        null,
                        null,
                        null,
                        clock.instant().plus(Duration.ofDays(400)),
                        null,
                        null)));
    for (Variant v : variants) {
      ImportKey req = v.change().apply(good(rawKey()));
      assertThatThrownBy(() -> importer.importKey(req, Actor.SYSTEM))
          .as("%s: %s", v.code(), req)
          .isInstanceOf(KeygateException.InvalidRequest.class)
          .extracting(e -> ((KeygateException) e).code())
          .isEqualTo(v.code());
    }
    assertThat(store.auditAfter(0, 100)).isEmpty();
    assertThat(
            kg.keys()
                .list(new io.keygate.core.model.KeyQuery(null, null, null, 500, null), Actor.SYSTEM)
                .items())
        .isEmpty();
  }

  @Test
  void importKey_wellFormedEndpointRules_areStoredAndEnforced() {
    String raw = rawKey();
    importer.importKey(
        with(
            good(raw),
            null,
            "acme",
            null,
            List.of("read", "GET /v1/data/**"),
            null,
            null,
            null,
            30,
            null),
        Actor.SYSTEM);
    kg.verifier().legacyKeys().refresh();
    assertThat(
            kg.verifier()
                .verify(new VerifyRequest(raw, null, List.of(), "GET", "/v1/data/x"))
                .valid())
        .isTrue();
    assertThat(
            kg.verifier()
                .verify(new VerifyRequest(raw, null, List.of(), "POST", "/v1/data/x"))
                .outcome())
        .isEqualTo(Outcome.INSUFFICIENT_SCOPE);
  }
}
