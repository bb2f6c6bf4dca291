package io.keygate.server.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.keygate.server.testing.FakeDns;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The outbound client against real HTTP servers on loopback: the address policy holds for every
 * spelling of an address, for names (also when their answer changes after the check), and for
 * redirects; answers are bounded in time and size.
 */
class OutboundHttpTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final byte[] BODY = "{\"id\":\"evt_1\"}".getBytes();

  private final List<AutoCloseable> open = new ArrayList<>();
  private final FakeDns dns = new FakeDns();

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(open);
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private OutboundHttp client(String... allowed) {
    OutboundHttp c =
        OutboundHttp.start(AddressPolicy.allowing(List.of(allowed)), Duration.ofSeconds(2), dns);
    open.add(c);
    return c;
  }

  /** A receiver on 127.0.0.1 answering {@code status} (with {@code location} if not null). */
  private Receiver receiver(int status, String location, byte[] answer) throws IOException {
    Receiver r = new Receiver(status, location, answer);
    open.add(r);
    return r;
  }

  private static final class Receiver implements AutoCloseable {
    final HttpServer server;
    final AtomicInteger hits = new AtomicInteger();

    Receiver(int status, String location, byte[] answer) throws IOException {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/",
          ex -> {
            try (InputStream in = ex.getRequestBody()) {
              in.readAllBytes();
            }
            hits.incrementAndGet();
            if (location != null) {
              ex.getResponseHeaders().add("Location", location);
            }
            ex.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
              ex.getResponseBody().write(answer);
            }
            ex.close();
          });
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    URI url(String host) {
      return URI.create("http://" + host + ":" + port() + "/hook");
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  private static int post(OutboundHttp c, URI url) throws Exception {
    return c.post(url, Map.of("Content-Type", "application/json"), BODY, TIMEOUT);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://127.0.0.1/hook",
        "http://2130706433/hook",
        "http://0177.0.0.1/hook",
        "http://0x7f000001/hook",
        "http://017700000001/hook",
        "http://127.000.000.001/hook",
        "http://0/hook",
        "http://0.0.0.0/hook",
        "http://10.0.0.1/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "https://255.255.255.255/hook",
        "http://224.0.0.1/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:7f00:1]/hook",
        "http://[0:0:0:0:0:ffff:127.0.0.1]/hook",
        "http://[::127.0.0.1]/hook",
        "http://[64:ff9b::127.0.0.1]/hook",
        "http://[2002:7f00:1::1]/hook",
        "http://[::ffff:a9fe:a9fe]/hook",
        "http://[fe80::1%25eth0]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::]/hook",
        "http://[ff02::1]/hook",
      })
  void check_ipLiteralInAnySpelling_ofANonPublicAddress_isRefused(String url) {
    assertThat(client().check(URI.create(url))).isInstanceOf(OutboundHttp.Refused.class);
  }

  @Test
  void check_ambiguousSpellings_areRefusedEvenWhenTheyMeanAPublicAddress() {
    OutboundHttp c = client();
    // 0010.0.0.1 is 8.0.0.1 to curl and 10.0.0.1 to Java: no spelling but a.b.c.d is accepted
    for (String host : List.of("0010.0.0.1", "134744072", "0x8080808", "8.008.8.8")) {
      assertThat(c.check(URI.create("http://" + host + "/")))
          .as(host)
          .isInstanceOfSatisfying(
              OutboundHttp.Refused.class,
              r -> assertThat(r.reason()).contains("ambiguous spelling"));
    }
    assertThat(c.check(URI.create("http://8.8.8.8/"))).isInstanceOf(OutboundHttp.Permitted.class);
    assertThat(c.check(URI.create("https://[2606:4700::1111]/")))
        .isInstanceOf(OutboundHttp.Permitted.class);
  }

  @Test
  void check_namesAreJudgedByEveryAddressTheyResolveTo() {
    dns.set("metadata.google.internal", "169.254.169.254")
        .set("mixed.example", "93.184.215.14", "10.0.0.7")
        .set("six.example", "::1")
        .set("nat64.example", "64:ff9b::7f00:1")
        .set("public.example", "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c");
    OutboundHttp c = client();
    assertThat(c.check(URI.create("http://metadata.google.internal/computeMetadata/v1/")))
        .isEqualTo(OutboundHttp.NAME_REFUSED);
    assertThat(c.check(URI.create("https://mixed.example/"))).isEqualTo(OutboundHttp.NAME_REFUSED);
    assertThat(c.check(URI.create("https://SIX.example/"))).isEqualTo(OutboundHttp.NAME_REFUSED);
    assertThat(c.check(URI.create("https://nat64.example/"))).isEqualTo(OutboundHttp.NAME_REFUSED);
    assertThat(c.check(URI.create("https://public.example/hook")))
        .isInstanceOf(OutboundHttp.Permitted.class);
    assertThat(c.check(URI.create("https://nowhere.example/")))
        .isInstanceOf(OutboundHttp.Unresolved.class);
  }

  @Test
  void check_systemResolver_localhostInAnyCase_isRefused() {
    OutboundHttp c =
        OutboundHttp.start(AddressPolicy.allowing(List.of()), Duration.ofSeconds(2), null);
    open.add(c);
    for (String host : List.of("localhost", "LOCALHOST", "LocalHost")) {
      assertThat(c.check(URI.create("http://" + host + ":8080/hook")))
          .as(host)
          .isEqualTo(OutboundHttp.NAME_REFUSED);
    }
  }

  @Test
  void check_severalUrls_areResolvedInParallel_andEachAnswered() {
    dns.set("a.example", "93.184.215.14").set("b.example", "10.1.1.1");
    List<OutboundHttp.UrlCheck> checks =
        client()
            .check(
                List.of(
                    URI.create("https://a.example/"),
                    URI.create("https://b.example/"),
                    URI.create("https://c.example/"),
                    URI.create("https://127.0.0.1/")));
    assertThat(checks.get(0)).isInstanceOf(OutboundHttp.Permitted.class);
    assertThat(checks.get(1)).isInstanceOf(OutboundHttp.Refused.class);
    assertThat(checks.get(2)).isInstanceOf(OutboundHttp.Unresolved.class);
    assertThat(checks.get(3)).isInstanceOf(OutboundHttp.Refused.class);
  }

  @Test
  void post_toALoopbackReceiver_isRefusedBeforeConnecting_byLiteralOrByName() throws Exception {
    Receiver rx = receiver(200, null, new byte[0]);
    dns.set("hooks.example", "127.0.0.1").set("v6.example", "::ffff:127.0.0.1");
    OutboundHttp c = client();
    for (String host : List.of("127.0.0.1", "hooks.example", "v6.example", "[::ffff:127.0.0.1]")) {
      assertThatThrownBy(() -> post(c, rx.url(host)))
          .as(host)
          .isInstanceOf(OutboundHttp.AddressRefused.class)
          .hasMessageContaining("loopback")
          .hasMessageNotContaining("127.0.0.1:" + rx.port());
    }
    assertThat(rx.hits).hasValue(0);

    // control: the same receiver is reached once the operator allows its network
    assertThat(post(client("127.0.0.1/32"), rx.url("hooks.example"))).isEqualTo(200);
    assertThat(rx.hits).hasValue(1);
  }

  @Test
  void post_nameThatChangesAfterTheCheck_isRefusedAtConnectTime() throws Exception {
    Receiver rx = receiver(200, null, new byte[0]);
    OutboundHttp c = client();
    dns.set("rebind.example", "93.184.215.14");
    assertThat(c.check(URI.create("http://rebind.example/")))
        .isInstanceOf(OutboundHttp.Permitted.class);
    dns.set("rebind.example", "127.0.0.1"); // the attacker's DNS answers differently now
    assertThatThrownBy(() -> post(c, rx.url("rebind.example")))
        .isInstanceOf(OutboundHttp.AddressRefused.class);
    dns.set("rebind.example", "10.0.0.1", "127.0.0.1");
    assertThatThrownBy(() -> post(c, rx.url("rebind.example")))
        .isInstanceOf(OutboundHttp.AddressRefused.class)
        .hasMessageContaining("private/loopback");
    assertThat(rx.hits).hasValue(0);
    assertThat(dns.lookups("rebind.example")).isEqualTo(3);
  }

  @Test
  void post_redirect_isTheAnswer_neverFollowed() throws Exception {
    Receiver target = receiver(200, null, new byte[0]);
    OutboundHttp c = client("127.0.0.1/32");
    for (int status : List.of(301, 302, 303, 307, 308)) {
      Receiver hop = receiver(status, target.url("127.0.0.1").toString(), new byte[0]);
      assertThat(post(c, hop.url("127.0.0.1"))).isEqualTo(status);
      assertThat(hop.hits).hasValue(1);
    }
    Receiver toMetadata = receiver(302, "http://169.254.169.254/latest/meta-data/", new byte[0]);
    assertThat(post(c, toMetadata.url("127.0.0.1"))).isEqualTo(302);
    assertThat(target.hits).hasValue(0);
  }

  @Test
  void get_readsA200UpToItsBound_andFailsOnAnythingElse() throws Exception {
    OutboundHttp c = client("127.0.0.1/32");
    Receiver small = receiver(200, null, "{\"public_keys\":[]}".getBytes());
    assertThat(c.get(small.url("127.0.0.1"), Map.of(), 1024, TIMEOUT).get())
        .asString()
        .isEqualTo("{\"public_keys\":[]}");
    Receiver big = receiver(200, null, new byte[64 * 1024]);
    assertThatThrownBy(() -> c.get(big.url("127.0.0.1"), Map.of(), 1024, TIMEOUT).join())
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(IOException.class);
    Receiver broken = receiver(500, null, new byte[0]);
    assertThatThrownBy(() -> c.get(broken.url("127.0.0.1"), Map.of(), 1024, TIMEOUT).join())
        .hasCauseInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 500");
    Receiver redirect = receiver(302, small.url("127.0.0.1").toString(), new byte[0]);
    assertThatThrownBy(() -> c.get(redirect.url("127.0.0.1"), Map.of(), 1024, TIMEOUT).join())
        .hasMessageContaining("HTTP 302");
    assertThatThrownBy(() -> client().get(small.url("127.0.0.1"), Map.of(), 1024, TIMEOUT).join())
        .hasCauseInstanceOf(OutboundHttp.AddressRefused.class);
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void post_toAnEndpointThatAcceptsAndNeverAnswers_endsAtTheTimeout() throws Exception {
    try (ServerSocket tarpit = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> held = Collections.synchronizedList(new ArrayList<>());
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    held.add(tarpit.accept()); // read nothing, answer nothing
                  }
                } catch (IOException closed) {
                  // test over
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      OutboundHttp c = client("127.0.0.1/32");
      URI url = URI.create("http://127.0.0.1:" + tarpit.getLocalPort() + "/hook");
      assertThatThrownBy(() -> post(c, url))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("timeout");
      assertThat(held).isNotEmpty();
      for (Socket s : held) {
        s.close();
      }
    }
  }
}
