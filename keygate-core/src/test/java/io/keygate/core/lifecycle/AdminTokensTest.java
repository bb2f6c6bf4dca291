package io.keygate.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keygate.core.Keygate;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEvent;
import io.keygate.core.key.Pepper;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.model.KeyQuery;
import io.keygate.core.model.KeyStatus;
import io.keygate.core.testing.InMemoryKeyStore;
import io.keygate.core.testing.ManualClock;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Admin tokens are managed only by {@link AdminTokens}, and a token can never create or act on a
 * token beyond its own scopes, owner and lifetime; {@link KeyService} treats them as not found.
 */
class AdminTokensTest {
  private static final Pepper PEPPER =
      new Pepper(
          1, "admin-tokens-test-pepper-0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
  private static final Actor CLI = new Actor("cli:ops", null, null);

  private ManualClock clock;
  private InMemoryKeyStore store;
  private Keygate kg;
  private AdminTokens tokens;

  @BeforeEach
  void setUp() {
    clock = new ManualClock();
    store = new InMemoryKeyStore();
    kg = Keygate.builder().store(store).pepper(PEPPER).clock(clock).build();
    tokens = kg.adminTokens();
  }

  /** A token created by the CLI, and the actor it authenticates as. */
  private record Token(CreatedKey created, Actor actor) {
    String id() {
      return created.record().keyId();
    }

    String secret() {
      return created.secret().reveal();
    }
  }

  private Token token(String owner, List<String> scopes) {
    CreatedKey c = tokens.create(owner, scopes, "test", null, CLI);
    return new Token(c, actorOf(c.secret().reveal()));
  }

  /** The actor a presented token authenticates as (what the HTTP layer builds). */
  private Actor actorOf(String secret) {
    Verification v = kg.verifier().authenticate(VerifyRequest.of(secret));
    assertThat(v.valid()).as("token authenticates: %s", v).isTrue();
    return Actor.ofToken(v.key(), "198.51.100.7");
  }

  private static void assertCode(Class<? extends KeygateException> type, String code, Runnable r) {
    assertThatThrownBy(r::run)
        .isInstanceOf(type)
        .extracting(e -> ((KeygateException) e).code())
        .isEqualTo(code);
  }

  private List<String> actions() {
    return store.auditAfter(0, 10_000).stream().map(e -> e.entry().action()).toList();
  }

  @Test
  void create_defaults_allScopesUnrestricted_allButTokensWriteForOneOwner_auditedWithScopes() {
    CreatedKey all = tokens.create(null, null, "ops", null, CLI);
    assertThat(all.secret().reveal()).startsWith("kg_admin_");
    assertThat(all.record().ownerId()).isNull();
    assertThat(all.record().settings().scopes()).containsExactlyElementsOf(AdminScopes.ALL);
    assertThat(all.record().expiresAt()).isEqualTo(clock.instant().plus(Duration.ofDays(365)));

    CreatedKey acme = tokens.create("acme", List.of(), "acme", null, CLI);
    assertThat(acme.record().settings().scopes())
        .contains(AdminScopes.KEYS_WRITE, AdminScopes.TOKENS_READ)
        .doesNotContain(AdminScopes.TOKENS_WRITE);

    AuditEvent first = store.auditAfter(0, 10).get(0);
    assertThat(first.entry().action()).isEqualTo("admin_token.created");
    assertThat(first.entry().actor()).isEqualTo("cli:ops");
    assertThat(first.entry().details().get("scopes")).contains("tokens:write");
    assertThat(store.outbox(null, null, 10)).isEmpty(); // tokens notify no owner
  }

  @Test
  void create_byOwnerRestrictedActor_cannotMintUnrestrictedOrForeignToken() {
    // Regression: token creation ignored the actor's owner restriction, so a customer's
    // self-service token could mint an unrestricted admin token (or one for another owner).
    Actor acme = token("acme", AdminScopes.ALL).actor();
    int before = actions().size();
    assertCode(
        KeygateException.InvalidRequest.class,
        "invalid_owner_id",
        () -> tokens.create(null, null, "escalate", null, acme));
    assertCode(
        KeygateException.InvalidRequest.class,
        "invalid_owner_id",
        () -> tokens.create("globex", null, "foreign", null, acme));
    assertThat(actions()).hasSize(before);
    CreatedKey own = tokens.create("acme", List.of(AdminScopes.KEYS_READ), "own", null, acme);
    assertThat(own.record().ownerId()).isEqualTo("acme");
  }

  @Test
  void create_neverGrantsAScopeTheCreatorLacks_andOnlyAdminScopes() {
    Actor weak = token(null, List.of(AdminScopes.TOKENS_WRITE, AdminScopes.KEYS_READ)).actor();
    for (List<String> wider :
        List.of(
            List.of(AdminScopes.KEYS_WRITE),
            List.of(AdminScopes.KEYS_READ, AdminScopes.AUDIT_READ),
            AdminScopes.ALL)) {
      assertCode(
          KeygateException.Forbidden.class,
          "scope_not_held",
          () -> tokens.create(null, wider, "wider", null, weak));
    }
    for (List<String> bad :
        List.of(
            List.of("root"),
            List.of("keys:read keys:write"),
            List.of("GET /v1/keys"),
            Arrays.asList(AdminScopes.KEYS_READ, null))) {
      assertCode(
          KeygateException.InvalidRequest.class,
          "invalid_scopes",
          () -> tokens.create(null, bad, "bad", null, CLI));
    }
    // Without scopes: the defaults, narrowed to what the creator holds.
    CreatedKey narrowed = tokens.create(null, null, "default", null, weak);
    assertThat(narrowed.record().settings().scopes())
        .containsExactlyInAnyOrder(AdminScopes.TOKENS_WRITE, AdminScopes.KEYS_READ);
    CreatedKey subset = tokens.create(null, List.of(AdminScopes.KEYS_READ), "ro", null, weak);
    assertThat(subset.record().settings().scopes()).containsExactly(AdminScopes.KEYS_READ);
  }

  @Test
  void create_neverOutlivesTheCreator() {
    CreatedKey shortLived = tokens.create(null, null, "short", 10, CLI);
    Actor creator = actorOf(shortLived.secret().reveal());
    assertThat(tokens.create(null, null, "capped", null, creator).record().expiresAt())
        .isEqualTo(shortLived.record().expiresAt());
    assertThat(tokens.create(null, null, "shorter", 5, creator).record().expiresAt())
        .isEqualTo(clock.instant().plus(Duration.ofDays(5)));
    assertCode(
        KeygateException.Forbidden.class,
        "expiry_beyond_own",
        () -> tokens.create(null, null, "longer", 30, creator));
    assertCode(
        KeygateException.InvalidRequest.class,
        "invalid_expiry",
        () -> tokens.create(null, null, "zero", 0, CLI));
  }

  @Test
  void keyService_answersNotFoundForAdminTokens_onEveryOperation_andNeverListsThem() {
    Token acmeToken = token("acme", List.of(AdminScopes.KEYS_READ));
    Token root = token(null, null);
    CreatedKey key =
        kg.keys().create(new CreateKey(null, "acme", null, null, null, null, null, null), CLI);
    KeyService keys = kg.keys();
    for (Token t : List.of(acmeToken, root)) {
      String id = t.id();
      List<Runnable> ops =
          List.of(
              () -> keys.get(id, CLI),
              () ->
                  keys.update(id, new KeyPatch(null, AdminScopes.ALL, null, null, null, null), CLI),
              () -> keys.disable(id, CLI),
              () -> keys.enable(id, CLI),
              () -> keys.revoke(id, "lockout", CLI),
              () -> keys.rotate(id, Duration.ZERO, CLI));
      for (Runnable op : ops) {
        assertThatThrownBy(op::run).isInstanceOf(KeygateException.NotFound.class);
      }
    }
    for (KeyQuery q :
        List.of(
            new KeyQuery(null, null, null, 500, null),
            new KeyQuery("acme", null, null, 500, null),
            new KeyQuery(null, KeyStatus.ACTIVE, "admin", 500, null))) {
      assertThat(keys.list(q, CLI).items())
          .extracting(ApiKeyRecord::keyId)
          .doesNotContain(acmeToken.id(), root.id());
    }
    assertThat(keys.list(new KeyQuery(null, null, null, 500, null), CLI).items())
        .extracting(ApiKeyRecord::keyId)
        .containsExactly(key.record().keyId());
    // and the other way round: an API key is no admin token
    assertThatThrownBy(() -> tokens.get(key.record().keyId(), CLI))
        .isInstanceOf(KeygateException.NotFound.class);
    assertThatThrownBy(() -> tokens.revoke(key.record().keyId(), null, CLI))
        .isInstanceOf(KeygateException.NotFound.class);
    assertThat(tokens.list(new KeyQuery(null, null, null, 500, null), CLI).items())
        .extracting(ApiKeyRecord::keyId)
        .containsExactlyInAnyOrder(acmeToken.id(), root.id());
    // nothing changed: both tokens still authenticate with their scopes
    assertThat(actorOf(acmeToken.secret()).scopes()).containsExactly(AdminScopes.KEYS_READ);
    assertThat(actorOf(root.secret()).scopes()).containsExactlyElementsOf(AdminScopes.ALL);
  }

  @Test
  void revokeAndRotate_needEveryScopeOfTheTarget_andAnOwnerLimitedActorSeesOnlyItsOwnersTokens() {
    Token strong = token(null, null);
    Token weak = token(null, List.of(AdminScopes.TOKENS_WRITE, AdminScopes.KEYS_READ));
    Token acme =
        token(
            "acme",
            List.of(AdminScopes.TOKENS_WRITE, AdminScopes.TOKENS_READ, AdminScopes.KEYS_READ));
    Token acmeReader = token("acme", List.of(AdminScopes.KEYS_READ));
    Token globex = token("globex", List.of(AdminScopes.KEYS_READ));

    List<Consumer<String>> lockouts =
        List.of(
            id -> tokens.revoke(id, "lockout", weak.actor()),
            id -> tokens.rotate(id, Duration.ZERO, weak.actor()));
    for (Consumer<String> op : lockouts) {
      assertCode(KeygateException.Forbidden.class, "scope_not_held", () -> op.accept(strong.id()));
    }
    for (String invisible : List.of(strong.id(), weak.id(), globex.id())) {
      assertThatThrownBy(() -> tokens.get(invisible, acme.actor()))
          .isInstanceOf(KeygateException.NotFound.class);
      assertThatThrownBy(() -> tokens.revoke(invisible, "x", acme.actor()))
          .isInstanceOf(KeygateException.NotFound.class);
      assertThatThrownBy(() -> tokens.rotate(invisible, Duration.ZERO, acme.actor()))
          .isInstanceOf(KeygateException.NotFound.class);
    }
    assertThat(tokens.list(new KeyQuery(null, null, null, 500, null), acme.actor()).items())
        .extracting(ApiKeyRecord::keyId)
        .containsExactlyInAnyOrder(acme.id(), acmeReader.id());
    assertThat(tokens.list(new KeyQuery("globex", null, null, 500, null), acme.actor()).items())
        .isEmpty();
    assertThat(kg.verifier().authenticate(VerifyRequest.of(strong.secret())).valid()).isTrue();

    ApiKeyRecord revoked = tokens.revoke(acmeReader.id(), "left the team", acme.actor());
    assertThat(revoked.status()).isEqualTo(KeyStatus.REVOKED);
    assertThat(
            kg.verifier()
                .authenticate(VerifyRequest.of(acmeReader.created().secret().reveal()))
                .outcome())
        .isEqualTo(Outcome.KEY_REVOKED);
    assertCode(
        KeygateException.Conflict.class,
        "key_revoked",
        () -> tokens.revoke(acmeReader.id(), null, acme.actor()));
    assertThat(actions()).endsWith("admin_token.revoked");
    assertThat(store.outbox(null, null, 100)).isEmpty();
  }

  @Test
  void rotate_sameOwnerAndScopes_newSecret_cappedAtTheActorsExpiry_expiredTokenRefused() {
    Token acme = token("acme", List.of(AdminScopes.TOKENS_WRITE, AdminScopes.KEYS_READ));
    CreatedKey shortLived =
        tokens.create(
            "acme", List.of(AdminScopes.TOKENS_WRITE, AdminScopes.KEYS_READ), "s", 3, CLI);
    Actor shortActor = actorOf(shortLived.secret().reveal());

    RotatedKey r = tokens.rotate(acme.id(), Duration.ZERO, shortActor);
    ApiKeyRecord fresh = r.newKey().record();
    assertThat(fresh.ownerId()).isEqualTo("acme");
    assertThat(fresh.adminToken()).isTrue();
    assertThat(fresh.settings().scopes()).isEqualTo(acme.created().record().settings().scopes());
    assertThat(fresh.expiresAt()).isEqualTo(shortLived.record().expiresAt());
    assertThat(fresh.rotatedFrom()).isEqualTo(acme.id());
    assertThat(kg.verifier().authenticate(VerifyRequest.of(acme.secret())).outcome())
        .isEqualTo(Outcome.KEY_REVOKED);
    assertThat(kg.verifier().authenticate(VerifyRequest.of(r.newKey().secret().reveal())).valid())
        .isTrue();
    assertThat(actions()).endsWith("admin_token.rotated", "admin_token.created");
    assertThat(store.outbox(null, null, 100)).isEmpty();

    clock.advance(Duration.ofDays(4));
    assertCode(
        KeygateException.Conflict.class,
        "key_expired",
        () -> tokens.rotate(shortLived.record().keyId(), Duration.ZERO, CLI));
    // an expired token can still be revoked, for the record
    assertThat(tokens.revoke(shortLived.record().keyId(), "expired", CLI).status())
        .isEqualTo(KeyStatus.REVOKED);
  }

  @Test
  void verifier_refusesAdminTokensAsApiKeys_andApiKeysAsAdminTokens() {
    Token root = token(null, null);
    CreatedKey key =
        kg.keys().create(new CreateKey(null, "acme", null, null, null, null, null, null), CLI);
    Verification asKey = kg.verifier().verify(VerifyRequest.of(root.secret()));
    assertThat(asKey.outcome()).isEqualTo(Outcome.INVALID_KEY);
    assertThat(asKey.key()).isNull();
    Verification asToken = kg.verifier().authenticate(VerifyRequest.of(key.secret().reveal()));
    assertThat(asToken.outcome()).isEqualTo(Outcome.INVALID_KEY);
    assertThat(asToken.key()).isNull();
    assertThat(kg.verifier().verify(VerifyRequest.of(key.secret().reveal())).valid()).isTrue();
    assertThat(kg.verifier().authenticate(VerifyRequest.of(root.secret())).valid()).isTrue();
  }
}
