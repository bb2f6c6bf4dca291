package io.keygate.core.notify;

import java.util.Objects;

/**
 * A webhook channel of an owner.
 *
 * @param channelId stable id ({@code ch_…}) deliveries refer to; kept when the URL is unchanged
 * @param url where events are POSTed ({@code http} or {@code https})
 * @param secret HMAC-SHA256 signing secret; never returned by the API nor printed by {@link
 *     #toString()}
 */
public record Webhook(String channelId, String url, String secret) {
  /** Checks required fields. */
  public Webhook {
    Objects.requireNonNull(channelId, "channelId");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(secret, "secret");
  }

  /** The last four characters of the secret, for display. */
  public String secretHint() {
    return secret.length() <= 8 ? "****" : "…" + secret.substring(secret.length() - 4);
  }

  @Override
  public String toString() {
    return "Webhook[" + channelId + ", secret=****]";
  }
}
