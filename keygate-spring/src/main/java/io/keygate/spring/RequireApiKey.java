package io.keygate.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Requires a verified API key on a Spring MVC controller method or on every handler of a controller
 * class (a method annotation replaces the class one).
 *
 * <p>Enforced by the starter's {@link RequireApiKeyInterceptor} on the {@link KeygatePrincipal}
 * that {@link KeygateFilter} attached: no principal → 401 {@code missing_api_key}; a key lacking
 * the scopes → 403 {@code insufficient_scope}. With the default {@code all = false} the key needs
 * any one of {@link #scopes()}; with {@code all = true} it needs every one. No scopes = any valid
 * key.
 *
 * <pre>{@code
 * @GetMapping("/api/admin")
 * @RequireApiKey(scopes = "admin")
 * Map<String, Object> admin(@KeygateKey KeygatePrincipal key) { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface RequireApiKey {
  /** Scopes the key must hold: any one of them, or all of them when {@link #all()} is set. */
  String[] scopes() default {};

  /** Whether every scope is required (all-of) instead of any one (any-of, the default). */
  boolean all() default false;
}
