package io.keygate.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a Spring MVC handler parameter of type {@link KeygatePrincipal} to receive the verified key
 * of the request, or {@code null} when the request carried none (an open path). Resolved by the
 * starter; outside Spring MVC use {@link KeygatePrincipal#current}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface KeygateKey {}
