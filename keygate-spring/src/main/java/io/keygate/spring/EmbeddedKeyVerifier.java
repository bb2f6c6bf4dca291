package io.keygate.spring;

import io.keygate.core.Keygate;
import io.keygate.core.key.ApiKeySecret;
import io.keygate.core.model.ApiKeyRecord;
import io.keygate.core.request.RequestTarget;
import io.keygate.core.verify.Outcome;
import io.keygate.core.verify.Verification;
import io.keygate.core.verify.VerifyRequest;
import java.util.Objects;

/**
 * In-process verification: the core hot path over the shared store. Store faults become {@link
 * KeygateUnavailableException}. Thread-safe as {@link Keygate} is.
 */
final class EmbeddedKeyVerifier implements KeyVerifier {
  private final Keygate keygate;

  EmbeddedKeyVerifier(Keygate keygate) {
    this.keygate = Objects.requireNonNull(keygate, "keygate");
  }

  @Override
  public KeyVerdict verify(KeyRequest r) {
    Verification v;
    try {
      v =
          keygate
              .verifier()
              .verify(
                  new VerifyRequest(
                      r.key(), r.clientIp(), r.requiredScopes(), r.method(), r.path()));
    } catch (RuntimeException e) {
      throw new KeygateUnavailableException(
          "in-process key verification failed: " + e.getClass().getSimpleName(), e);
    }
    if (v.valid()) {
      ApiKeyRecord k = v.key();
      return KeyVerdict.valid(
          new KeygatePrincipal(k.keyId(), k.ownerId(), k.type(), k.settings().scopes()));
    }
    Outcome o = v.outcome();
    return o == Outcome.INSUFFICIENT_SCOPE
        ? KeyVerdict.insufficientScope(r.requiredScopes(), false)
        : KeyVerdict.refused(o);
  }

  @Override
  public KeyVerdict keyInUrl(String target, String clientIp) {
    ApiKeySecret key = RequestTarget.findKey(target, keygate.format());
    if (key == null) {
      return KeyVerdict.refused(Outcome.API_KEY_IN_URL);
    }
    try {
      return KeyVerdict.refused(keygate.verifier().keyInUrl(key, clientIp, null).outcome());
    } catch (RuntimeException e) {
      throw new KeygateUnavailableException(
          "in-process report of a key in a URL failed: " + e.getClass().getSimpleName(), e);
    }
  }
}
