package io.keygate.server.http;

import io.javalin.config.JavalinConfig;
import io.keygate.server.config.ReadDeadlines;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.MinimumDataRateHandler;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds how long Jetty waits for a client (slowloris): a request's line and headers must arrive
 * within {@link ReadDeadlines#header()} of their first byte, and a body must keep up {@link
 * ReadDeadlines#minBodyBytesPerSecond()} on average (Jetty's {@link MinimumDataRateHandler}).
 *
 * <p><b>Design.</b> Jetty parses request heads without a thread per connection, resets its idle
 * timeout on every byte and has no head deadline of its own, so a client sending a byte a second
 * keeps a connection forever. This guard watches every HTTP/1.1 connection from open to close (a
 * {@link Connection.Listener} on each connector) and, a few times per deadline, samples whether it
 * is reading a request head: the parser is before the body, and either it is the connection's first
 * request (counted from the connection opening, so a silent client or a slow TLS handshake counts
 * too) or bytes of a new request have arrived. A connection still reading the same head after the
 * deadline is closed. Between requests a connection is idle and only the idle timeout applies.
 * Thread-safe.
 */
public final class ReadDeadlineGuard extends AbstractLifeCycle {
  private static final Logger LOG = LoggerFactory.getLogger(ReadDeadlineGuard.class);

  /** A connection's head being read: the request number and when it was first seen reading. */
  private record Watch(long request, long sinceNanos) {}

  private static final Watch IDLE = new Watch(-1, 0);

  private final long deadlineNanos;
  private final long sweepMillis;
  private final Map<HttpConnection, Watch> open = new ConcurrentHashMap<>();
  private ScheduledExecutorService sweeper;

  ReadDeadlineGuard(Duration header) {
    this.deadlineNanos = header.toNanos();
    this.sweepMillis = Math.max(100, Math.min(1000, header.toMillis() / 5));
  }

  /** Installs both limits on the Javalin server being configured. */
  public static void install(JavalinConfig config, ReadDeadlines deadlines) {
    ReadDeadlineGuard guard = new ReadDeadlineGuard(deadlines.header());
    // Javalin answers a body read that timed out (too slow, or stalled for the idle timeout) with
    // an empty 408: give it the API's error body
    config.routes.error(
        408,
        ctx ->
            HttpApi.json(
                ctx,
                408,
                new Views.ErrorBody("request_timeout", "the request body arrived too slowly")));
    config.jetty.modifyServer(
        server -> {
          if (deadlines.minBodyBytesPerSecond() > 0) {
            server.insertHandler(new BodyRateHandler(deadlines.minBodyBytesPerSecond()));
          }
          server.addBean(guard);
          // Javalin adds its connectors after this callback and before starting the server.
          server.addEventListener(
              new LifeCycle.Listener() {
                @Override
                public void lifeCycleStarting(LifeCycle event) {
                  for (Connector c : ((Server) event).getConnectors()) {
                    c.addEventListener(guard.tracker);
                  }
                }
              });
        });
  }

  /**
   * Jetty's {@link MinimumDataRateHandler} for requests that carry a body; the others (the GETs of
   * forward auth among them) go straight on, without its per-request wrappers and statistics.
   */
  private static final class BodyRateHandler extends MinimumDataRateHandler {
    BodyRateHandler(long minimumReadRate) {
      super(minimumReadRate, 0);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      HttpFields h = request.getHeaders();
      boolean body =
          h.contains(HttpHeader.TRANSFER_ENCODING)
              || (h.contains(HttpHeader.CONTENT_LENGTH)
                  && !"0".equals(h.get(HttpHeader.CONTENT_LENGTH)));
      return body
          ? super.handle(request, response, callback)
          : getHandler().handle(request, response, callback);
    }
  }

  /** What connectors tell about every connection they open and close. */
  private final Connection.Listener tracker =
      new Connection.Listener() {
        @Override
        public void onOpened(Connection c) {
          if (c instanceof HttpConnection h) {
            open.put(h, new Watch(0, System.nanoTime()));
          }
        }

        @Override
        public void onClosed(Connection c) {
          if (c instanceof HttpConnection h) {
            open.remove(h);
          }
        }
      };

  @Override
  protected void doStart() {
    sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keygate-read-deadline");
              t.setDaemon(true);
              return t;
            });
    sweeper.scheduleWithFixedDelay(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  protected void doStop() {
    sweeper.shutdownNow();
    open.clear();
  }

  /** Closes every connection that has been reading one request head for longer than allowed. */
  void sweep() {
    long now = System.nanoTime();
    for (Map.Entry<HttpConnection, Watch> e : open.entrySet()) {
      HttpConnection h = e.getKey();
      try {
        long request = h.getMessagesIn();
        Watch w = e.getValue();
        if (!readingHead(h, request)) {
          if (w != IDLE) {
            e.setValue(IDLE);
          }
        } else if (w.request() != request) {
          e.setValue(new Watch(request, now));
        } else if (now - w.sinceNanos() >= deadlineNanos) {
          open.remove(h);
          LOG.debug(
              "closing connection from {}: request head not received within {} ms",
              h.getEndPoint().getRemoteSocketAddress(),
              TimeUnit.NANOSECONDS.toMillis(deadlineNanos));
          h.getEndPoint().close();
        }
      } catch (RuntimeException ex) {
        LOG.warn("read deadline check failed for a connection: {}", ex.toString());
      }
    }
  }

  /**
   * Whether {@code h} is reading the head of request number {@code request} (0-based): the parser
   * is before the body and it is the first request, or bytes of a new one have arrived.
   */
  private static boolean readingHead(HttpConnection h, long request) {
    HttpParser p = h.getParser();
    if (!p.inHeaderState()) {
      return false;
    }
    if (request == 0) {
      return true;
    }
    return !(p.isStart() && p.getHeaderLength() == 0 && h.isRequestBufferEmpty());
  }
}
