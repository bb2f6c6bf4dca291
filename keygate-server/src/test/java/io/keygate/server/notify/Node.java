package io.keygate.server.notify;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.testing.ManualClock;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.monitor.Monitoring;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * A {@link TestServer} over SQLite in {@code dir} (started by the test's {@link
 * KeygateServerExtension}, which closes it after the test), with a manual clock, seeded jitter and
 * background jobs slowed to an hour so tests run them by hand. Webhooks may reach public addresses
 * only unless the test allows more networks (a receiver on loopback needs {@link #LOOPBACK}).
 */
public final class Node implements AutoCloseable {
  public final ManualClock clock;
  public final KeygateServer server;
  public final String admin;
  public final String base;
  private final TestServer running;

  /** Outbound settings that let webhooks reach a receiver on 127.0.0.1. */
  public static final OutboundConfig LOOPBACK = OutboundConfig.defaults().allowing("127.0.0.1/32");

  public Node(KeygateServerExtension servers, Path dir, ManualClock clock) {
    this(servers, dir, clock, b -> b);
  }

  public Node(
      KeygateServerExtension servers, Path dir, ManualClock clock, OutboundConfig outbound) {
    this(servers, dir, clock, b -> b.outbound(outbound));
  }

  public Node(
      KeygateServerExtension servers,
      Path dir,
      ManualClock clock,
      NotifyConfig notify,
      OutboundConfig outbound) {
    this(
        servers,
        dir,
        clock,
        b ->
            b.notifyConfig(notify.withIntervals(Duration.ofHours(1), Duration.ofHours(1)))
                .outbound(outbound));
  }

  /** A node whose builder {@code wiring} adjusts after the defaults above are set. */
  public Node(
      KeygateServerExtension servers,
      Path dir,
      ManualClock clock,
      UnaryOperator<KeygateServer.Builder> wiring) {
    this.clock = clock;
    this.running =
        servers.start(
            dir,
            c -> c,
            b ->
                wiring.apply(
                    b.clock(clock)
                        .jitter(new Random(42))
                        .notifyConfig(
                            NotifyConfig.defaults()
                                .withIntervals(Duration.ofHours(1), Duration.ofHours(1)))));
    this.server = running.server;
    this.base = running.base;
    this.admin = running.adminToken;
  }

  public String token(String owner, List<String> scopes) {
    return running.token(owner, scopes);
  }

  public Monitoring monitoring() {
    return server.monitoring();
  }

  public int deliver() {
    return monitoring().deliveries().orElseThrow().runOnce();
  }

  public int expiry() {
    return monitoring().expiry().orElseThrow().run();
  }

  /** An HTTP answer; {@link TestServer.Response} without the headers. */
  public record Res(int status, String body) {
    public JsonNode json() {
      return response().json();
    }

    public JsonNode expect(int s) {
      return response().expect(s);
    }

    private TestServer.Response response() {
      return new TestServer.Response(status, Map.of(), body);
    }
  }

  public Res call(String method, String path, Object body) {
    return call(method, path, body, admin);
  }

  public Res call(String method, String path, Object body, String token) {
    TestServer.Req r = running.req(method, path).token(token);
    if (body != null) {
      r.json(body);
    }
    TestServer.Response a = r.send();
    return new Res(a.status(), a.body());
  }

  public static Map<String, Object> map(Object... kv) {
    return TestServer.map(kv);
  }

  @Override
  public void close() {
    running.close();
  }
}
