package io.keygate.spring;

import io.keygate.core.verify.Outcome;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Arrays;
import java.util.List;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Enforces {@link RequireApiKey} on Spring MVC handlers, reading the {@link KeygatePrincipal} that
 * {@link KeygateFilter} attached. Answers refusals like the filter does (same JSON body and
 * challenge). Registered by the starter; stateless and thread-safe.
 */
public final class RequireApiKeyInterceptor implements HandlerInterceptor {

  @Override
  public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
      throws Exception {
    if (!(handler instanceof HandlerMethod hm)) {
      return true;
    }
    RequireApiKey req =
        AnnotatedElementUtils.findMergedAnnotation(hm.getMethod(), RequireApiKey.class);
    if (req == null) {
      req = AnnotatedElementUtils.findMergedAnnotation(hm.getBeanType(), RequireApiKey.class);
    }
    if (req == null) {
      return true;
    }
    KeygatePrincipal key = KeygatePrincipal.current(request);
    if (key == null) {
      ErrorResponses.write(response, KeyVerdict.refused(Outcome.MISSING_API_KEY), false);
      return false;
    }
    List<String> scopes = Arrays.asList(req.scopes());
    if (!permits(key, scopes, req.all())) {
      ErrorResponses.write(response, KeyVerdict.insufficientScope(scopes, req.all()), true);
      return false;
    }
    return true;
  }

  /** Whether {@code key} holds any (or, with {@code all}, every) one of {@code scopes}. */
  static boolean permits(KeygatePrincipal key, List<String> scopes, boolean all) {
    if (scopes.isEmpty()) {
      return true;
    }
    return all ? key.scopes().containsAll(scopes) : scopes.stream().anyMatch(key::hasScope);
  }
}
