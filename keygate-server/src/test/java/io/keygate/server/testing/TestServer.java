package io.keygate.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.testing.ManualClock;
import io.keygate.server.KeygateServer;
import io.keygate.server.config.ServerConfig;
import io.keygate.server.http.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

/**
 * A real Keygate server on a random loopback port over real SQLite in a temporary directory, driven
 * by a {@link ManualClock}, with an all-scopes admin token and small HTTP helpers. The raw keys it
 * hands out live only in test memory. Started (and closed) by {@link KeygateServerExtension}.
 */
public final class TestServer implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  public final ManualClock clock = new ManualClock();
  public final KeygateServer server;
  public final String adminToken;
  public final String base;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Started by {@link KeygateServerExtension#start}, which closes it after the test; a server that
   * was built but failed to start is closed before the exception propagates.
   */
  TestServer(ServerConfig config, UnaryOperator<KeygateServer.Builder> wiring) {
    this.server = wiring.apply(KeygateServer.builder().config(config).clock(clock)).build();
    try {
      server.start();
      this.base = "http://127.0.0.1:" + server.port();
      this.adminToken = token(null, null);
    } catch (RuntimeException e) {
      closed.set(true);
      server.close();
      throw e;
    }
  }

  /** The default test configuration: data in {@code dataDir}, loopback, random port. */
  public static ServerConfig config(Path dataDir) {
    return ServerConfig.defaults().withStorage(dataDir, null).withNetwork("127.0.0.1", 0);
  }

  /** {@code c} with other trusted proxies. */
  public static ServerConfig withTrustedProxies(ServerConfig c, List<String> proxies) {
    return c.withGateway(proxies, c.forwardAuth());
  }

  /** {@code c} with other background intervals (tests pick long ones and run jobs by hand). */
  public static ServerConfig withIntervals(ServerConfig c, Duration usageFlush, Duration sweep) {
    return new ServerConfig(
        c.host(),
        c.port(),
        c.dataDir(),
        c.databaseUrl(),
        c.pepperFile(),
        c.pepperEnv(),
        c.cacheSize(),
        c.cacheTtl(),
        usageFlush,
        sweep,
        c.maxBodyBytes(),
        c.trustedProxies(),
        c.forwardAuth(),
        c.policy());
  }

  /** A new admin token (null owner = all owners; null scopes = all admin scopes). */
  public String token(String owner, List<String> scopes) {
    return server
        .keygate()
        .adminTokens()
        .create(owner, scopes, "test token", null, new Actor("test", null, null))
        .secret()
        .reveal();
  }

  /** An HTTP answer. */
  public record Response(int status, Map<String, List<String>> headers, String body) {
    /** The body as JSON. */
    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (HTTP " + status + "): " + body, e);
      }
    }

    /** The first value of a header, or null. */
    public String header(String name) {
      for (var e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
          return e.getValue().get(0);
        }
      }
      return null;
    }

    /** Asserts the status and returns the JSON body. */
    public JsonNode expect(int expected) {
      assertThat(status).as("HTTP status; body: %s", body).isEqualTo(expected);
      return json();
    }

    /**
     * Asserts the status of a {@code /v1/authz} answer and that it has no body ({@code
     * Content-Length: 0}, as nginx needs to keep the connection); returns its {@code
     * X-Keygate-Error} (null on 200).
     */
    public String expectAuthz(int expected) {
      assertThat(status).as("HTTP status; body: %s", body).isEqualTo(expected);
      assertThat(body).as("authz body").isEmpty();
      assertThat(header("Content-Length")).as("authz Content-Length").isEqualTo("0");
      return header("X-Keygate-Error");
    }
  }

  /** A request builder for this server. */
  public Req req(String method, String path) {
    return new Req(method, path);
  }

  /** GET with the admin token. */
  public Response get(String path) {
    return req("GET", path).send();
  }

  /** POST of a JSON value with the admin token. */
  public Response post(String path, Object json) {
    return req("POST", path).json(json).send();
  }

  /** PATCH of a JSON value with the admin token. */
  public Response patch(String path, Object json) {
    return req("PATCH", path).json(json).send();
  }

  /** Creates a key ({@code field, value, ...}) and returns the 201 body. */
  public JsonNode createKey(Object... fields) {
    return post("/v1/keys", map(fields)).expect(201);
  }

  /** {@code POST /v1/verify} of {@code key} with further fields; returns the 200 body. */
  public JsonNode verify(String key, Object... fields) {
    Map<String, Object> body = map(fields);
    body.put("key", key);
    return post("/v1/verify", body).expect(200);
  }

  /** A map from alternating keys and values. */
  public static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** A request under construction; sends the admin token unless told otherwise. */
  public final class Req {
    private final String method;
    private final String path;
    private String token = adminToken;
    private byte[] body;
    private String contentType;
    private Duration timeout = Duration.ofSeconds(30);
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Req(String method, String path) {
      this.method = method;
      this.path = path;
    }

    /** Uses another bearer token (null: none). */
    public Req token(String t) {
      this.token = t;
      return this;
    }

    /** Sends a JSON body. */
    public Req json(Object value) {
      this.body = Json.write(value);
      this.contentType = "application/json";
      return this;
    }

    /** Sends a raw body with a content type (null: none). */
    public Req body(String raw, String type) {
      this.body = raw.getBytes(StandardCharsets.UTF_8);
      this.contentType = type;
      return this;
    }

    /** Sends raw bytes (null: no body) without a content type of its own (add it as a header). */
    public Req body(byte[] raw) {
      this.body = raw;
      this.contentType = null;
      return this;
    }

    /** Adds a header. */
    public Req header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** Waits at most {@code t} for the answer (default 30 s). */
    public Req timeout(Duration t) {
      this.timeout = t;
      return this;
    }

    /** Sends and returns the answer. */
    public Response send() {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      if (contentType != null) {
        b.header("Content-Type", contentType);
      }
      headers.forEach(b::header);
      b.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      try {
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.headers().map(), r.body());
      } catch (IOException e) {
        throw new AssertionError(method + " " + path + " failed", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /**
   * Sends {@code rawRequest} byte for byte over a socket (for requests {@link HttpClient} refuses
   * to build) and returns the answer's status and body.
   */
  public Response raw(String rawRequest) {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(rawRequest.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      int status = Integer.parseInt(all.substring(9, 12));
      int split = all.indexOf("\r\n\r\n");
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (String line : all.substring(0, split).split("\r\n")) {
        int c = line.indexOf(':');
        if (c > 0) {
          headers.put(line.substring(0, c).strip(), List.of(line.substring(c + 1).strip()));
        }
      }
      return new Response(status, headers, all.substring(split + 4));
    } catch (IOException e) {
      throw new AssertionError("raw request failed", e);
    }
  }

  /** Stops the server; a second call does nothing. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.close();
    }
  }
}
