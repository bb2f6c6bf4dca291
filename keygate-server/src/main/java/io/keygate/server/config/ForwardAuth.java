package io.keygate.server.config;

import java.util.Locale;

/**
 * Which gateway sits in front of {@code /v1/authz}, and therefore where the original request's
 * method and URI are read ({@code KEYGATE_FORWARD_AUTH}). Only the chosen gateway's form is read;
 * the headers of other forms are ignored, never trusted, since a gateway passes headers it does not
 * set itself from the client through to the auth request.
 */
public enum ForwardAuth {
  /** nginx {@code auth_request}: {@code X-Original-Method} and {@code X-Original-URI}. */
  NGINX,
  /** Traefik ForwardAuth, Caddy {@code forward_auth}: {@code X-Forwarded-Method}/{@code -Uri}. */
  FORWARDED,
  /**
   * Envoy ext_authz (HTTP service): the original path appended to {@code /v1/authz} ({@code
   * path_prefix}), the original method as the request's own.
   */
  ENVOY,
  /**
   * Every form is read; a request that carries more than one (or one header twice) is refused
   * unless they all agree. The default, so that any one gateway works unconfigured.
   */
  AUTO;

  /** The default: {@link #AUTO}. */
  public static final ForwardAuth DEFAULT = AUTO;

  /**
   * Parses {@code nginx}, {@code forwarded}, {@code envoy} or {@code auto} (any case).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static ForwardAuth parse(String s) {
    for (ForwardAuth f : values()) {
      if (f.name().equalsIgnoreCase(s == null ? "" : s.strip())) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "KEYGATE_FORWARD_AUTH must be nginx, forwarded, envoy or auto, was '" + s + "'");
  }

  /** Whether this mode reads {@code form}'s headers or path. */
  public boolean reads(ForwardAuth form) {
    return this == AUTO || this == form;
  }

  /** The lower-case name used in configuration. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
