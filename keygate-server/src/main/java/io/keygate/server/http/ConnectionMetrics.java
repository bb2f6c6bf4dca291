package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * Counts the HTTP server's TCP connections in {@code /metrics}: {@code
 * keygate_http_connections_opened_total} (every connection accepted, on every connector, TLS
 * included) and {@code keygate_http_connections_open}. A gateway that keeps its connections to
 * Keygate alive opens a few and reuses them; one that opens a connection per request (nginx when an
 * auth answer has a body) makes the first grow with the request count.
 *
 * <p>Design note: Micrometer's {@code JettyConnectionMetrics} (micrometer-core) is built for Jetty
 * 9–11 and counts closed connections only; this is the one figure needed, from Jetty 12's own
 * {@link Connection.Listener}. Thread-safe: the listener is called from Jetty's selector threads.
 */
final class ConnectionMetrics implements Connection.Listener {
  private final Counter opened;
  private final AtomicLong open = new AtomicLong();

  private ConnectionMetrics(MeterRegistry registry) {
    this.opened =
        Counter.builder("keygate.http.connections.opened")
            .description("TCP connections the HTTP server accepted")
            .register(registry);
    Gauge.builder("keygate.http.connections.open", open, AtomicLong::get)
        .description("TCP connections of the HTTP server open now")
        .register(registry);
  }

  /**
   * Registers the meters on {@code registry} and listens on every connector of the server {@code
   * config} builds, including connectors added after this call (they are joined when the server
   * starts).
   */
  static void install(JavalinConfig config, MeterRegistry registry) {
    ConnectionMetrics metrics = new ConnectionMetrics(registry);
    config.jetty.modifyServer(
        server ->
            server.addEventListener(
                new LifeCycle.Listener() {
                  @Override
                  public void lifeCycleStarting(LifeCycle event) {
                    for (Connector c : ((Server) event).getConnectors()) {
                      c.addBean(metrics);
                    }
                  }
                }));
  }

  @Override
  public void onOpened(Connection connection) {
    if (isTcp(connection)) {
      opened.increment();
      open.incrementAndGet();
    }
  }

  @Override
  public void onClosed(Connection connection) {
    if (isTcp(connection)) {
      open.decrementAndGet();
    }
  }

  /**
   * Whether {@code connection} sits on a socket itself: with TLS, the HTTP connection sits on the
   * TLS one and is not counted again.
   */
  private static boolean isTcp(Connection connection) {
    return connection.getEndPoint() instanceof SocketChannelEndPoint;
  }
}
