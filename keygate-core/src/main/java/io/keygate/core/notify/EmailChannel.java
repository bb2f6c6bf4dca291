package io.keygate.core.notify;

import java.util.Objects;

/**
 * An email channel of an owner.
 *
 * @param channelId stable id ({@code ch_…}) deliveries refer to
 * @param address the recipient
 */
public record EmailChannel(String channelId, String address) {
  /** Checks required fields. */
  public EmailChannel {
    Objects.requireNonNull(channelId, "channelId");
    Objects.requireNonNull(address, "address");
  }

  @Override
  public String toString() {
    return "EmailChannel[" + channelId + "]";
  }
}
