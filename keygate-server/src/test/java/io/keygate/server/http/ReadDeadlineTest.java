package io.keygate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.keygate.server.config.ReadDeadlines;
import io.keygate.server.config.TlsConfig;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.RawHttp;
import io.keygate.server.testing.TestCertificates;
import io.keygate.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slowloris against a real server, over raw sockets: a request head that trickles in, a silent
 * connection, a stream of blank lines, a slow second request on a kept-alive connection, a body
 * that trickles in, a stalled TLS handshake. Each is disconnected within a bound far below Jetty's
 * 30 s idle timeout (which a byte a second never reaches), while other clients are served.
 */
class ReadDeadlineTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  /** The head deadline configured here. */
  private static final Duration HEAD = Duration.ofSeconds(2);

  /**
   * Disconnected "within a bounded time": the deadline plus sampling, with room for a loaded box.
   */
  private static final Duration BOUND = Duration.ofSeconds(12);

  @TempDir Path dir;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private TestServer t;

  @AfterEach
  void stop() {
    pool.shutdownNow();
    if (t != null) {
      t.close();
    }
  }

  private TestServer server() {
    t = servers.start(dir, c -> c, b -> b.readDeadlines(new ReadDeadlines(HEAD, 1024)));
    return t;
  }

  /** How a trickling client ended: after {@code lived}, with the server's answer or none. */
  private record Ended(Duration lived, String answer) {}

  /**
   * Writes {@code bytes} one at a time, {@code pauseMillis} apart, until the server closes the
   * connection or answers; fails after {@link #BOUND}.
   */
  private static Ended trickle(Socket s, byte[] bytes, long pauseMillis) throws IOException {
    long start = System.nanoTime();
    OutputStream out = s.getOutputStream();
    InputStream in = s.getInputStream();
    s.setSoTimeout((int) pauseMillis);
    for (int i = 0; System.nanoTime() - start < BOUND.toNanos(); i++) {
      try {
        if (i < bytes.length) {
          out.write(bytes[i]);
          out.flush();
        }
        int first = in.read();
        Duration lived = Duration.ofNanos(System.nanoTime() - start);
        if (first == -1) {
          return new Ended(lived, null);
        }
        s.setSoTimeout(5000);
        StringBuilder line = new StringBuilder().append((char) first);
        for (int c; (c = in.read()) != -1; ) {
          line.append((char) c);
        }
        return new Ended(lived, line.toString());
      } catch (SocketTimeoutException stillOpen) {
        // the pause between bytes
      } catch (IOException reset) {
        return new Ended(Duration.ofNanos(System.nanoTime() - start), null);
      }
    }
    throw new AssertionError("still connected after " + BOUND);
  }

  /** Asserts the client was dropped without an answer, after the deadline and within the bound. */
  private static void assertCutOffAtTheDeadline(Ended e) {
    assertThat(e.answer()).as("no answer, just a closed connection").isNull();
    assertThat(e.lived()).isGreaterThanOrEqualTo(HEAD).isLessThan(BOUND);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private Socket connect() throws IOException {
    return new Socket("127.0.0.1", t.server.port());
  }

  @Test
  void headersOneBytePerSecond_areCutOff_whileOtherClientsAreServed() throws Exception {
    server();
    byte[] head = ascii("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + "a".repeat(200));
    List<Future<Ended>> slow = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      slow.add(
          pool.submit(
              () -> {
                try (Socket s = connect()) {
                  return trickle(s, head, 1000);
                }
              }));
    }
    int served = 0;
    while (!slow.stream().allMatch(Future::isDone)) {
      RawHttp.Answer a = RawHttp.send(t.server.port(), "GET", "/healthz", Map.of(), null);
      assertThat(a.status()).isEqualTo(200);
      served++;
      Thread.sleep(100);
    }
    for (Future<Ended> f : slow) {
      assertCutOffAtTheDeadline(f.get());
    }
    assertThat(served).as("answered while the slow clients were connected").isPositive();
  }

  @Test
  void aSilentConnection_andBlankLinesBeforeTheRequest_areCutOff() throws Exception {
    server();
    try (Socket silent = connect();
        Socket blanks = connect()) {
      Future<Ended> s = pool.submit(() -> trickle(silent, new byte[0], 500));
      Future<Ended> b = pool.submit(() -> trickle(blanks, ascii("\r\n".repeat(40)), 250));
      assertCutOffAtTheDeadline(s.get(30, TimeUnit.SECONDS));
      assertCutOffAtTheDeadline(b.get(30, TimeUnit.SECONDS));
    }
  }

  @Test
  void aKeptAliveConnection_mayIdleBetweenRequests_butASlowNextRequestIsCutOff() throws Exception {
    server();
    try (Socket s = connect()) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      byte[] request = ascii("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      out.write(request);
      assertThat(readAnswer(in)).startsWith("HTTP/1.1 200");
      Thread.sleep(HEAD.multipliedBy(2).toMillis()); // idle longer than the head deadline
      out.write(request);
      assertThat(readAnswer(in)).as("idle is not slow").startsWith("HTTP/1.1 200");
      assertCutOffAtTheDeadline(trickle(s, request, 1000));
    }
  }

  /** Reads one answer without a body (healthz answers are short): up to the blank line + body. */
  private static String readAnswer(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int length = -1;
    while (true) {
      StringBuilder line = new StringBuilder();
      for (int c; (c = in.read()) != '\n'; ) {
        if (c == -1) {
          throw new IOException("closed after " + b);
        }
        line.append((char) c);
      }
      String l = line.toString().strip();
      b.append(l).append('\n');
      if (l.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(l.substring(15).strip());
      }
      if (l.isEmpty()) {
        break;
      }
    }
    for (int i = 0; i < Math.max(0, length); i++) {
      b.append((char) in.read());
    }
    return b.toString();
  }

  @Test
  void aBodyThatTricklesIn_isCutOff() throws Exception {
    server();
    try (Socket s = connect()) {
      byte[] body = ascii("{\"key\": \"" + "x".repeat(3000) + "\"}");
      String head =
          "POST /v1/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
              + t.adminToken
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length
              + "\r\n\r\n";
      s.getOutputStream().write(ascii(head));
      s.getOutputStream().write(body, 0, 10);
      byte[] rest = Arrays.copyOfRange(body, 10, body.length);
      Ended e = trickle(s, rest, 200);
      assertThat(e.lived()).isLessThan(BOUND);
      assertThat(e.answer())
          .startsWith("HTTP/1.1 408 Request Timeout")
          .contains("application/json", "{\"error\":\"request_timeout\"");
    }
    // the server is fine afterwards
    assertThat(RawHttp.send(t.server.port(), "GET", "/healthz", Map.of(), null).status())
        .isEqualTo(200);
  }

  @Test
  void aStalledTlsHandshake_isCutOff() throws Exception {
    Path ks = TestCertificates.keyStore(dir.resolve("ks.p12"));
    try (TestServer tls =
        servers.start(
            dir.resolve("tls-data"),
            c -> c,
            b ->
                b.tls(new TlsConfig(null, null, ks, "changeit"))
                    .readDeadlines(new ReadDeadlines(HEAD, 1024)))) {
      int port = tls.server.port();
      // the first bytes of a TLS ClientHello record, then one byte a second
      byte[] hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
      try (Socket s = new Socket("127.0.0.1", port)) {
        Ended e = trickle(s, hello, 1000);
        assertThat(e.lived()).isGreaterThanOrEqualTo(HEAD).isLessThan(BOUND);
        if (e.answer() != null) {
          assertThat(e.answer().charAt(0)).as("at most a TLS alert record").isEqualTo((char) 0x15);
        }
      }
    }
  }
}
