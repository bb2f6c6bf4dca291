package io.keygate.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.key.Pepper;
import io.keygate.core.model.KeyQuery;
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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
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
    return "acme_" + HexFormat.of().formatHex(b);
  }

  /** An import request's settings: owner {@code acme}, 30 days, the rest unset. */
  private static final class Fields {
    String type;
    String owner = "acme";
    String name;
    List<String> scopes;
    List<String> ips;
    List<RateLimit> limits;
    Instant expiresAt;
    Integer days = 30;
    Map<String, Object> meta;
  }

  /** A request to import {@code raw} under {@code acme_}, its settings after {@code change}. */
  private static ImportKey request(String raw, Consumer<Fields> change) {
    Fields f = new Fields();
    change.accept(f);
    return new ImportKey(
        LegacyKeys.sha256Hex(raw),
        "acme_",
        f.type,
        f.owner,
        f.name,
        f.scopes,
        f.ips,
        f.limits,
        f.expiresAt,
        f.days,
        f.meta);
  }

  /** An absolute expiry instead of a number of days. */
  private static void expireAt(Fields f, Instant at) {
    f.expiresAt = at;
    f.days = null;
  }

  /** A request whose settings {@code change} makes invalid, refused with {@code code}. */
  private record Variant(String code, Consumer<Fields> change) {}

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
            new Variant("invalid_scopes", f -> f.scopes = List.of("read", "GET /v1/../admin")),
            new Variant("invalid_scopes", f -> f.scopes = List.of("FETCH /v1/x")),
            new Variant("invalid_scopes", f -> f.scopes = List.of("read write")),
            new Variant("invalid_scopes", f -> f.scopes = List.of("GET v1/x")),
            new Variant("invalid_scopes", f -> f.scopes = List.of("GET /v1/x*")),
            new Variant("invalid_scopes", f -> f.scopes = Arrays.asList("read", null)),
            new Variant("invalid_scopes", f -> f.scopes = List.of()),
            new Variant("invalid_ip_allowlist", f -> f.ips = List.of("localhost")),
            new Variant("invalid_ip_allowlist", f -> f.ips = Arrays.asList("10.0.0.1", null)),
            new Variant("invalid_rate_limit", f -> f.limits = List.of(a, a)),
            new Variant("invalid_meta", f -> f.meta = bigMeta),
            new Variant("invalid_meta", f -> f.meta = deepMeta),
            new Variant("invalid_name", f -> f.name = "n".repeat(201)),
            new Variant("invalid_owner_id", f -> f.owner = "has space"),
            new Variant("invalid_owner_id", f -> f.owner = "x".repeat(129)),
            new Variant("invalid_key_type", f -> f.type = "admin"),
            new Variant("invalid_key_type", f -> f.type = "nope"),
            new Variant("invalid_expiry", f -> f.days = 0),
            new Variant("invalid_expiry", f -> f.days = 366),
            new Variant("invalid_expiry", f -> expireAt(f, clock.instant())),
            new Variant(
                "invalid_expiry", f -> expireAt(f, clock.instant().plus(Duration.ofDays(400)))));
    for (Variant v : variants) {
      ImportKey req = request(rawKey(), v.change());
      assertThatThrownBy(() -> importer.importKey(req, Actor.SYSTEM))
          .as("%s: %s", v.code(), req)
          .isInstanceOf(KeygateException.InvalidRequest.class)
          .extracting(e -> ((KeygateException) e).code())
          .isEqualTo(v.code());
    }
    assertThat(store.auditAfter(0, 100)).isEmpty();
    assertThat(kg.keys().list(new KeyQuery(null, null, null, 500, null), Actor.SYSTEM).items())
        .isEmpty();
  }

  @Test
  void importKey_wellFormedEndpointRules_areStoredAndEnforced() {
    String raw = rawKey();
    importer.importKey(
        request(raw, f -> f.scopes = List.of("read", "GET /v1/data/**")), Actor.SYSTEM);
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
