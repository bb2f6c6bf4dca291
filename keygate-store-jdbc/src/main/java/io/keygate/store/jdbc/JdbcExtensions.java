package io.keygate.store.jdbc;

import io.keygate.core.monitor.AnomalyStore;
import io.keygate.core.monitor.MonitorStore;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.store.KeyStore;
import java.util.Optional;

/**
 * The SPIs beyond {@link KeyStore} that a JDBC store also implements over the same database: {@link
 * NotifyStore} (owners, outbox delivery, expiry notices). Thread-safe.
 */
public final class JdbcExtensions {
  private JdbcExtensions() {}

  /**
   * The notification store sharing {@code store}'s pool, or empty when {@code store} is not one
   * built by {@link JdbcStores}.
   */
  public static Optional<NotifyStore> notifyStore(KeyStore store) {
    return store instanceof JdbcKeyStore j ? Optional.of(new JdbcNotifyStore(j)) : Optional.empty();
  }

  /**
   * The usage analytics and report store sharing {@code store}'s pool, or empty when {@code store}
   * is not one built by {@link JdbcStores}.
   */
  public static Optional<MonitorStore> monitorStore(KeyStore store) {
    return store instanceof JdbcKeyStore j
        ? Optional.of(new JdbcMonitorStore(j))
        : Optional.empty();
  }

  /**
   * The alerts, seen-networks and grant-use store sharing {@code store}'s pool, or empty when
   * {@code store} is not one built by {@link JdbcStores}.
   */
  public static Optional<AnomalyStore> anomalyStore(KeyStore store) {
    return store instanceof JdbcKeyStore j
        ? Optional.of(new JdbcAnomalyStore(j))
        : Optional.empty();
  }
}
