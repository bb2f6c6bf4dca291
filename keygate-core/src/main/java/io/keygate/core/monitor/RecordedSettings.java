package io.keygate.core.monitor;

import java.time.Instant;
import java.util.Objects;

/**
 * The effective settings a server's security report depends on, as the server recorded them in the
 * database, so that a report computed elsewhere (the CLI) uses the server's settings rather than
 * its own environment.
 *
 * <p>Holds no secret: only names, durations, counts and flags (never a pepper, key or token).
 *
 * @param node the recording node's label (host name and node id)
 * @param recordedAt when it recorded them
 * @param settings the settings as JSON, in a shape the server owns (opaque to the store)
 */
public record RecordedSettings(String node, Instant recordedAt, String settings) {
  /** Checks that every part is given. */
  public RecordedSettings {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(recordedAt, "recordedAt");
    Objects.requireNonNull(settings, "settings");
  }
}
