package io.keygate.server.leaks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.LeakConfig;
import io.keygate.server.config.OutboundConfig;
import io.keygate.server.http.Json;
import io.keygate.server.testing.FakeDns;
import io.keygate.server.testing.KeygateServerExtension;
import io.keygate.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unauthenticated secret scanning endpoint is cheap to refuse: headers, declared size and the
 * signing key are checked before a byte of the body is read, the body is read no further than its
 * bound, and the partner-key URL is fetched at most once per back-off period whether it fails,
 * hangs or is asked for unknown identifiers; it is also subject to the outbound address policy.
 */
class PartnerEndpointTest {
  @RegisterExtension static final KeygateServerExtension servers = new KeygateServerExtension();

  private static final String PATH = "/v1/secret-scanning/github";
  private static final String KEY_ID = "github-key-1";

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final KeyPair pair = keyPair();

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(open);
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] keysDocument() {
    String pem =
        "-----BEGIN PUBLIC KEY-----\n"
            + Base64.getMimeEncoder().encodeToString(pair.getPublic().getEncoded())
            + "\n-----END PUBLIC KEY-----\n";
    return Json.write(
        Map.of(
            "public_keys",
            List.of(Map.of("key_identifier", KEY_ID, "key", pem, "is_current", true))));
  }

  private String sign(byte[] body) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(pair.getPrivate());
    s.update(body);
    return Base64.getEncoder().encodeToString(s.sign());
  }

  private TestServer server(LeakConfig leaks, OutboundConfig outbound) {
    TestServer t = servers.start(dir, c -> c, b -> b.leaks(leaks).outbound(outbound));
    open.add(t);
    return t;
  }

  private TestServer withKeysFile() throws IOException {
    Path keys = dir.resolve("keys.json");
    Files.write(keys, keysDocument());
    return server(
        LeakConfig.fromEnv(Map.of("KEYGATE_GITHUB_KEYS_FILE", keys.toString())),
        OutboundConfig.defaults());
  }

  /**
   * Sends only the head of a request that declares a body, and reads the answer's status line: the
   * server must answer without waiting for the body (it would wait its 30 s idle timeout).
   */
  private static int headOnly(TestServer t, Map<String, String> headers) throws IOException {
    try (Socket s = new Socket("127.0.0.1", t.server.port())) {
      s.setSoTimeout(10_000);
      StringBuilder head = new StringBuilder("POST " + PATH + " HTTP/1.1\r\nHost: x\r\n");
      headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      head.append("\r\n");
      OutputStream out = s.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b; (b = in.read()) != -1 && b != '\n'; ) {
        line.write(b);
      }
      return Integer.parseInt(line.toString(StandardCharsets.ISO_8859_1).substring(9, 12));
    }
  }

  private static Map<String, String> headers(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("Content-Type", "application/json");
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void refusals_areAnsweredFromTheHead_withoutWaitingForTheBody() throws Exception {
    TestServer t = withKeysFile();
    String sig = sign("[]".getBytes(StandardCharsets.UTF_8));
    assertThat(headOnly(t, headers("Content-Length", "100000"))).as("no signature").isEqualTo(401);
    assertThat(
            headOnly(
                t, headers("Content-Length", "100000", "Github-Public-Key-Identifier", KEY_ID)))
        .as("no signature header")
        .isEqualTo(401);
    assertThat(
            headOnly(
                t,
                headers(
                    "Content-Length",
                    "100000",
                    "Github-Public-Key-Identifier",
                    "forged-key",
                    "Github-Public-Key-Signature",
                    sig)))
        .as("unknown signing key")
        .isEqualTo(401);
    assertThat(
            headOnly(
                t,
                headers(
                    "Content-Length",
                    "100000",
                    "Github-Public-Key-Identifier",
                    "k".repeat(5000),
                    "Github-Public-Key-Signature",
                    sig)))
        .as("absurd key identifier")
        .isEqualTo(401);
    for (String declared : List.of("1048577", "104857600", "9223372036854775807")) {
      assertThat(
              headOnly(
                  t,
                  headers(
                      "Content-Length",
                      declared,
                      "Github-Public-Key-Identifier",
                      KEY_ID,
                      "Github-Public-Key-Signature",
                      sig)))
          .as("declared %s bytes", declared)
          .isEqualTo(413);
    }
  }

  @Test
  void aBodyWithoutLength_isReadNoFurtherThanTheBound() throws Exception {
    TestServer t = withKeysFile();
    byte[] huge = new byte[3 * 1024 * 1024];
    Arrays.fill(huge, (byte) ' ');
    huge[0] = '[';
    huge[huge.length - 1] = ']';
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "application/json");
    h.put("Transfer-Encoding", "chunked");
    h.put("Github-Public-Key-Identifier", KEY_ID);
    h.put("Github-Public-Key-Signature", sign(huge));
    ByteArrayOutputStream chunked = new ByteArrayOutputStream();
    for (int at = 0; at < huge.length; at += 65536) {
      int n = Math.min(65536, huge.length - at);
      chunked.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      chunked.write(huge, at, n);
      chunked.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    chunked.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(sendRaw(t.server.port(), h, chunked.toByteArray())).startsWith("HTTP/1.1 413");
  }

  @Test
  void aBodyTrickledIn_isCutAfterSeconds_althoughFasterThanTheServerWideMinimum() throws Exception {
    TestServer t = withKeysFile();
    byte[] body = new byte[256 * 1024];
    Arrays.fill(body, (byte) ' ');
    body[0] = '[';
    body[body.length - 1] = ']';
    try (Socket s = new Socket("127.0.0.1", t.server.port())) {
      s.setSoTimeout(100);
      String head =
          "POST "
              + PATH
              + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length
              + "\r\nGithub-Public-Key-Identifier: "
              + KEY_ID
              + "\r\nGithub-Public-Key-Signature: "
              + sign(body)
              + "\r\n\r\n";
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      long started = System.nanoTime();
      String answer = null;
      // 4 KiB a second: above the server-wide 1 KiB/s, far below what a partner must keep up
      for (int at = 0; at < body.length && answer == null; at += 4096) {
        try {
          out.write(body, at, 4096);
          out.flush();
        } catch (IOException closed) {
          break;
        }
        long until = System.nanoTime() + 1_000_000_000L;
        while (answer == null && System.nanoTime() < until) {
          try {
            int b = s.getInputStream().read();
            answer = b == -1 ? "closed" : String.valueOf((char) b);
          } catch (SocketTimeoutException waiting) {
            // no answer yet
          }
        }
      }
      s.setSoTimeout(5000);
      ByteArrayOutputStream rest = new ByteArrayOutputStream();
      try {
        s.getInputStream().transferTo(rest);
      } catch (IOException reset) {
        // closed after the answer
      }
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("cut off, not read for the 64 s this body takes")
          .isLessThan(Duration.ofSeconds(20));
      assertThat(answer + rest.toString(StandardCharsets.ISO_8859_1))
          .startsWith("HTTP/1.1 408")
          .contains("request_timeout");
    }
  }

  /** Writes a head and an already encoded body; returns the answer's status line. */
  private static String sendRaw(int port, Map<String, String> h, byte[] body) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      StringBuilder head = new StringBuilder("POST " + PATH + " HTTP/1.1\r\nHost: x\r\n");
      h.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      head.append("\r\n");
      OutputStream out = s.getOutputStream();
      try {
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
      } catch (IOException refusedMidway) {
        // the server answered and closed before taking everything: read what it said
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b; (b = in.read()) != -1 && b != '\n'; ) {
        line.write(b);
      }
      return line.toString(StandardCharsets.ISO_8859_1).strip();
    }
  }

  /** A key URL: counts requests, answers with what {@link #answer} says. */
  private static final class KeysUrl implements AutoCloseable {
    final HttpServer server;
    final AtomicInteger hits = new AtomicInteger();
    final AtomicReference<byte[]> answer = new AtomicReference<>();

    KeysUrl() throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/keys",
          ex -> {
            hits.incrementAndGet();
            byte[] body = answer.get();
            ex.sendResponseHeaders(body == null ? 500 : 200, body == null ? -1 : body.length);
            if (body != null) {
              ex.getResponseBody().write(body);
            }
            ex.close();
          });
      server.start();
    }

    String url() {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/keys";
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private int deliver(TestServer t, String keyId, byte[] body) throws Exception {
    return t.req("POST", PATH)
        .token(null)
        .body(new String(body, StandardCharsets.UTF_8), "application/json")
        .header("Github-Public-Key-Identifier", keyId)
        .header("Github-Public-Key-Signature", sign(body))
        .send()
        .status();
  }

  /** A server whose keys are at {@code keys}, once its fetch at startup has reached them. */
  private TestServer withKeysUrl(KeysUrl keys) {
    TestServer t =
        server(
            LeakConfig.fromEnv(Map.of("KEYGATE_GITHUB_KEYS_URL", keys.url())),
            OutboundConfig.defaults().allowing("127.0.0.1/32"));
    await("the fetch at startup").atMost(Duration.ofSeconds(10)).until(() -> keys.hits.get() == 1);
    return t;
  }

  @Test
  void aFailingKeyUrl_isFetchedOncePerBackOffPeriod_notOncePerRequest() throws Exception {
    KeysUrl keys = new KeysUrl();
    open.add(keys);
    TestServer t = withKeysUrl(keys);
    byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 30; i++) {
      assertThat(deliver(t, i % 2 == 0 ? KEY_ID : "forged-" + i, body)).isEqualTo(401);
    }
    assertThat(keys.hits).as("failed at startup: no refetch within the back-off").hasValue(1);

    t.clock.advance(LeakConfig.DEFAULT_KEYS_REFETCH.plusSeconds(1));
    for (int i = 0; i < 10; i++) {
      assertThat(deliver(t, KEY_ID, body)).isEqualTo(401);
    }
    assertThat(keys.hits).as("one retry per back-off period").hasValue(2);

    keys.answer.set(keysDocument());
    t.clock.advance(LeakConfig.DEFAULT_KEYS_REFETCH.plusSeconds(1));
    assertThat(deliver(t, KEY_ID, body)).as("the key URL works again").isEqualTo(200);
    assertThat(keys.hits).hasValue(3);

    // keys go stale, the URL fails again: the stale keys keep working, one refetch per period
    keys.answer.set(null);
    t.clock.advance(LeakConfig.DEFAULT_KEYS_CACHE_TTL.plusSeconds(1));
    for (int i = 0; i < 20; i++) {
      assertThat(deliver(t, KEY_ID, body)).isEqualTo(200);
      assertThat(deliver(t, "forged-" + i, body)).isEqualTo(401);
    }
    await("the background refresh")
        .atMost(Duration.ofSeconds(10))
        .until(() -> keys.hits.get() == 4);
    for (int i = 0; i < 5; i++) {
      deliver(t, "forged-again-" + i, body);
    }
    assertThat(keys.hits).hasValue(4);
  }

  @Test
  void concurrentForgedIdentifiers_duringAFailingKeyUrl_fetchItOncePerBackOffPeriod()
      throws Exception {
    KeysUrl keys = new KeysUrl();
    open.add(keys);
    TestServer t = withKeysUrl(keys);
    byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
    int concurrent = 16;
    ExecutorService pool = Executors.newFixedThreadPool(concurrent);
    try {
      for (int period = 1; period <= 3; period++) {
        List<Callable<Integer>> forged = new ArrayList<>();
        for (int i = 0; i < concurrent; i++) {
          String id = "forged-" + period + "-" + i;
          forged.add(() -> deliver(t, id, body));
        }
        for (Future<Integer> answer : pool.invokeAll(forged)) {
          assertThat(answer.get()).isEqualTo(401);
        }
        assertThat(keys.hits).as("fetches after back-off period %d", period).hasValue(period);
        t.clock.advance(LeakConfig.DEFAULT_KEYS_REFETCH.plusSeconds(1));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aHangingKeyUrl_holdsNoRequest() throws Exception {
    try (ServerSocket tarpit = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      List<Socket> held = Collections.synchronizedList(new ArrayList<>());
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(tarpit.accept());
                  }
                } catch (IOException closed) {
                  // test over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      TestServer t =
          server(
              LeakConfig.fromEnv(
                  Map.of(
                      "KEYGATE_GITHUB_KEYS_URL",
                      "http://127.0.0.1:" + tarpit.getLocalPort() + "/keys")),
              OutboundConfig.defaults().allowing("127.0.0.1/32"));
      await("the fetch at startup hangs")
          .atMost(Duration.ofSeconds(10))
          .until(() -> !held.isEmpty());
      byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < 20; i++) {
        long started = System.nanoTime();
        assertThat(deliver(t, i % 2 == 0 ? KEY_ID : "forged-" + i, body)).isEqualTo(401);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .as("not waiting for the hung fetch (10 s)")
            .isLessThan(Duration.ofSeconds(5));
      }
      assertThat(held).hasSize(1);
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void aKeyUrlOnANonPublicAddress_failsTheStart_unlessItsNetworkIsAllowed() throws Exception {
    FakeDns dns = new FakeDns().set("keys.corp.example", "10.1.2.3");
    for (String url :
        List.of(
            "http://127.0.0.1:8080/keys",
            "http://169.254.169.254/keys",
            "http://[::1]/keys",
            "http://[::ffff:10.0.0.1]/keys",
            "http://2130706433/keys",
            "https://keys.corp.example/keys")) {
      // built directly, not through the extension: the refusal must come from build()
      KeygateServer.Builder b =
          KeygateServer.builder()
              .config(TestServer.config(dir.resolve("refused")))
              .leaks(LeakConfig.fromEnv(Map.of("KEYGATE_GITHUB_KEYS_URL", url)))
              .outboundDns(dns);
      assertThatIllegalArgumentException()
          .as(url)
          .isThrownBy(b::build)
          .withMessageContaining("secret scanning sender github")
          .withMessageContaining("KEYGATE_WEBHOOK_ALLOWED_NETWORKS");
    }
    KeysUrl keys = new KeysUrl();
    open.add(keys);
    keys.answer.set(keysDocument());
    TestServer t =
        server(
            LeakConfig.fromEnv(Map.of("KEYGATE_GITHUB_KEYS_URL", keys.url())),
            OutboundConfig.defaults().allowing("127.0.0.0/8"));
    await("the keys loaded at startup")
        .atMost(Duration.ofSeconds(10))
        .until(() -> deliver(t, KEY_ID, "[]".getBytes(StandardCharsets.UTF_8)) == 200);
    assertThat(keys.hits).hasValue(1);
  }
}
