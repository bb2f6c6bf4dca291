package io.keygate.server.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.keygate.server.config.NotifyConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault isolation of outbound delivery on a running server whose background jobs run on their own
 * schedule: an owner whose webhook accepts connections and never answers, or one with a long
 * backlog, delays neither other owners' deliveries nor the rotation sweep and usage flush.
 */
class DeliveryIsolationTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String SECRET = "whsec_test_0123456789abcdef";

  /** Bound on "promptly": generous for a loaded 2-core machine, far below the 30 s hang. */
  private static final Duration PROMPTLY = Duration.ofSeconds(8);

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(open);
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  /** A server delivering every 100 ms with a 30 s webhook timeout, jobs every 200 ms. */
  private TestServer server(int deliveryThreads) {
    TestServer t =
        servers.start(
            dir,
            c -> TestServer.withIntervals(c, Duration.ofMillis(200), Duration.ofMillis(200)),
            b ->
                b.outbound(
                        new OutboundConfig(
                            List.of("127.0.0.1/32"), Duration.ofSeconds(5), deliveryThreads))
                    .notifyConfig(
                        NotifyConfig.fromEnv(
                            Map.of(
                                "KEYGATE_WEBHOOK_TIMEOUT_SECONDS", "30",
                                "KEYGATE_DELIVERY_INTERVAL_MS", "100"))));
    open.add(t);
    return t;
  }

  /** Accepts connections and never reads or answers them (a hung webhook endpoint). */
  private static final class Tarpit implements AutoCloseable {
    final ServerSocket socket;
    final List<Socket> held = Collections.synchronizedList(new ArrayList<>());

    Tarpit() throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
      Thread t =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(socket.accept());
                  }
                } catch (IOException closed) {
                  // closed by the test
                }
              },
              "tarpit");
      t.setDaemon(true);
      t.start();
    }

    String url() {
      return "http://127.0.0.1:" + socket.getLocalPort() + "/hook";
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (Socket s : held) {
        s.close();
      }
    }
  }

  /** Answers 200 after {@code millis}; records event ids per owner and the most in flight. */
  private static final class SlowReceiver implements AutoCloseable {
    final HttpServer server;
    final Map<String, List<String>> byOwner = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    final Map<String, Integer> maxInFlight = new ConcurrentHashMap<>();

    SlowReceiver(long millis) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
      server.setExecutor(Executors.newCachedThreadPool());
      server.createContext(
          "/",
          ex -> {
            String owner = ex.getRequestURI().getPath().substring(1);
            ex.getRequestBody().readAllBytes();
            int now = inFlight.computeIfAbsent(owner, o -> new AtomicInteger()).incrementAndGet();
            maxInFlight.merge(owner, now, Math::max);
            try {
              Thread.sleep(millis);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            byOwner
                .computeIfAbsent(owner, o -> Collections.synchronizedList(new ArrayList<>()))
                .add(ex.getRequestHeaders().getFirst("Keygate-Event-Id"));
            inFlight.get(owner).decrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
          });
      server.start();
    }

    String url(String owner) {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + owner;
    }

    int received(String owner) {
      List<String> l = byOwner.get(owner);
      return l == null ? 0 : l.size();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private static void owner(TestServer t, String id, String url) {
    t.post(
            "/v1/owners",
            TestServer.map(
                "owner_id", id, "webhooks", List.of(TestServer.map("url", url, "secret", SECRET))))
        .expect(201);
  }

  @Test
  void hungWebhook_delaysNeitherOtherOwners_norTheRotationSweep_norTheUsageFlush()
      throws Exception {
    Tarpit tarpit = new Tarpit();
    open.add(tarpit);
    SlowReceiver rx = new SlowReceiver(0);
    open.add(rx);
    TestServer t = server(OutboundConfig.DEFAULT_DELIVERY_THREADS);
    owner(t, "slow", tarpit.url());
    owner(t, "fast", rx.url("fast"));
    for (int i = 0; i < 10; i++) {
      t.createKey("owner_id", "slow", "name", "slow-" + i);
    }
    await("the hung endpoint holds a delivery")
        .atMost(PROMPTLY)
        .until(() -> !tarpit.held.isEmpty());

    // another owner's event arrives while the slow owner's attempt hangs
    t.createKey("owner_id", "fast");
    await("the other owner's delivery").atMost(PROMPTLY).until(() -> rx.received("fast") == 1);
    // the slow owner has one attempt in flight, not one per pool thread
    assertThat(tarpit.held).hasSize(1);

    // the rotation sweep records an ended grace period meanwhile (moving the clock also ends the
    // hung attempt's lease, so the slow owner may get a second attempt from here on)
    JsonNode rotating = t.createKey("owner_id", "nobody");
    String oldId = rotating.get("key_id").asText();
    t.post("/v1/keys/" + oldId + "/rotate", TestServer.map("grace_period_hours", 1)).expect(201);
    t.clock.advance(Duration.ofHours(2));
    await("the rotation sweep")
        .atMost(PROMPTLY)
        .until(
            () ->
                t.get("/v1/audit?target_id=" + oldId + "&limit=10")
                    .expect(200)
                    .get("data")
                    .toString()
                    .contains("rotation grace period ended"));

    // and the usage flush writes a verification meanwhile
    JsonNode used = t.createKey("owner_id", "nobody");
    assertThat(t.verify(used.get("api_key").asText()).get("valid").asBoolean()).isTrue();
    String usedId = used.get("key_id").asText();
    await("the usage flush")
        .atMost(PROMPTLY)
        .until(() -> t.get("/v1/keys/" + usedId).expect(200).get("usage_count").asLong() == 1);
  }

  @Test
  void oneOwnersBacklog_doesNotStarveAnotherOwner_andGetsOneThreadAtATime() throws Exception {
    SlowReceiver rx = new SlowReceiver(100);
    open.add(rx);
    TestServer t = server(OutboundConfig.DEFAULT_DELIVERY_THREADS);
    owner(t, "busy", rx.url("busy"));
    owner(t, "quiet", rx.url("quiet"));
    int backlog = 60;
    for (int i = 0; i < backlog; i++) {
      t.createKey("owner_id", "busy", "name", "busy-" + i);
    }
    await("the backlog is being delivered").atMost(PROMPTLY).until(() -> rx.received("busy") > 0);
    t.clock.advance(Duration.ofSeconds(1)); // the quiet owner's delivery is due after all of busy's
    t.createKey("owner_id", "quiet");
    await("the quiet owner's event").atMost(PROMPTLY).until(() -> rx.received("quiet") == 1);
    assertThat(rx.received("busy"))
        .as("delivered before the busy owner's backlog drained")
        .isLessThan(backlog);
    await("the backlog drains")
        .atMost(Duration.ofSeconds(60))
        .until(() -> rx.received("busy") == backlog);
    assertThat(rx.maxInFlight.get("busy")).as("one attempt per owner at a time").isEqualTo(1);
  }

  @Test
  void moreBusyOwnersThanThreads_aNewcomerIsServedNext_notAfterTheirBacklogs() throws Exception {
    SlowReceiver rx = new SlowReceiver(150);
    open.add(rx);
    TestServer t = server(2);
    int owners = 5;
    int each = 12;
    for (int o = 0; o < owners; o++) {
      owner(t, "busy" + o, rx.url("busy" + o));
    }
    owner(t, "newcomer", rx.url("newcomer"));
    for (int i = 0; i < each; i++) {
      for (int o = 0; o < owners; o++) {
        t.createKey("owner_id", "busy" + o);
      }
    }
    await("the backlogs are being delivered")
        .atMost(PROMPTLY)
        .until(() -> rx.byOwner.values().stream().mapToInt(List::size).sum() >= 2);
    t.clock.advance(Duration.ofSeconds(1)); // the newcomer's delivery is due after all of theirs
    t.createKey("owner_id", "newcomer");
    await("the newcomer's event").atMost(PROMPTLY).until(() -> rx.received("newcomer") == 1);
    int delivered = 0;
    for (int o = 0; o < owners; o++) {
      delivered += rx.received("busy" + o);
    }
    assertThat(delivered)
        .as("the newcomer was served before the older backlogs drained")
        .isLessThan(owners * each - owners);
  }
}
